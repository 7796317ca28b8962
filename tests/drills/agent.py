"""What a drill does inside the project, run in its own process against the
drill's own database and Redis (the test process keeps pytest-django's).

    python -m tests.drills.agent <command> [args...]   → one line of JSON
"""

import json
import sys


def _setup():
    import django

    django.setup()


def seed(parents="0"):
    """The test world, plus `parents` extra guardians with an email and no quiet hours."""
    from ent.notify.models import NotificationSettings
    from tests.factories import build_world, make_user

    world = build_world()
    ids = []
    for i in range(int(parents)):
        user = make_user(f"drill_parent_{i}", email=f"drill-parent-{i}@example.org", first_name=f"Parent{i}")
        NotificationSettings.objects.create(user=user, quiet_start="00:00", quiet_end="00:00")
        ids.append(user.id)
    for user in (world.guardian, world.guardian2):
        quiet = {"quiet_start": "00:00", "quiet_end": "00:00"}
        NotificationSettings.objects.update_or_create(user=user, defaults=quiet)
    return {
        "teacher": world.teacher.id,
        "pupil": world.pupil.id,
        "guardian": world.guardian.id,
        "klass_slug": f"c{world.klass.id}",
        "subject": world.subject.id,
        "parents": ids,
    }


def session(user_id):
    """A logged-in session (MFA done) for one user: its cookie value."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from ent.directory.auth_backends import DEFAULT_BACKEND
    from ent.directory.models import User

    user = User.objects.get(id=int(user_id))
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = DEFAULT_BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["ent_mfa_ok"] = True
    store.save()
    return {"cookie": store.session_key}


def notify_each(*user_ids):
    """One message.new notification per user, each in its own committed transaction."""
    from django.db import transaction

    from ent.notify.api import notify

    for i, user_id in enumerate(user_ids):
        with transaction.atomic():
            notify([int(user_id)], "message.new", context={"sender_name": "Anne Leroy", "conversation_title": f"#{i}"})
    return {"notified": len(user_ids)}


def requeue_all():
    """Queue every delivery again, as a redelivered broker message would."""
    from ent.notify import tasks
    from ent.notify.models import Delivery

    ids = list(Delivery.objects.values_list("id", flat=True))
    for delivery_id in ids:
        tasks.deliver.delay(delivery_id)
    return {"requeued": len(ids)}


def release_due():
    """What beat does every 15 minutes: queue whatever is pending and due."""
    from ent.notify import tasks

    tasks.release_due.delay()
    return {"queued": True}


def counts():
    from django.db.models import Count

    from ent.notify.models import Delivery, Notification
    from homework.models import Entry

    by_status = dict(Delivery.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {
        "deliveries": by_status,
        "immediate_not_sent": Delivery.objects.filter(mode=Delivery.Mode.IMMEDIATE).exclude(status="sent").count(),
        "attempts_over_one": Delivery.objects.filter(attempts__gt=1).count(),
        "notifications": Notification.objects.count(),
        "entries": sorted(Entry.objects.values_list("title", flat=True)),
    }


COMMANDS = {
    "seed": seed,
    "session": session,
    "notify_each": notify_each,
    "requeue_all": requeue_all,
    "release_due": release_due,
    "counts": counts,
}

if __name__ == "__main__":
    _setup()
    result = COMMANDS[sys.argv[1]](*sys.argv[2:])
    sys.stdout.write(json.dumps(result, default=str) + "\n")
