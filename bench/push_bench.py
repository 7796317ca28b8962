"""A push to 30 parents' devices, queued: how long after a teacher's request.

Issue #23: "a push to 30 parents' devices queued in <= 50 ms of the request".
A teacher sends an announcement to the families of one class, 30 of whom have
a Web Push subscription (a device). The request records the announcement and
its recipients and queues the notification task when it commits; that task (a
worker's) writes one notification per family and their Delivery rows (push,
and e-mail for those who have an address) and queues the delivery task. Both
run here in one process, the task called right after the response as a free
worker would, through Django's test client on the bench database (production
settings, the Celery broker on the bench's Redis db). Measured: from the start
of the request to the moment the delivery task was handed to the broker
(Celery's after_task_publish signal), the request alone, and the Delivery rows
written. A worker's pick-up delay is not in it (no worker runs). Nothing is
sent, and the queued tasks are purged after.

    python -m bench.push_bench [--parents 30] [--repeat 20] [--json]

Run it with the bench's environment (bench/run.py does).
"""

import argparse
import json
import statistics
import time

import django

NOTIFY = "messaging.notify_announcement"
DELIVER = "notify.deliver_many"


def _setup(ctx, n):
    """A class, its first teacher, and a device for n of its families
    (idempotent: the endpoints are unique)."""
    from ent.directory.models import User
    from ent.notify.models import WebPushSubscription

    klass = next(c for c in ctx.classes if ctx.teachers_by_class.get(c.id))
    guardians = []
    for pupil_id in ctx.pupils_by_class.get(klass.id, []):
        for guardian_id in ctx.guardians_by_pupil.get(pupil_id, []):
            if guardian_id not in guardians:
                guardians.append(guardian_id)
    parent_ids = guardians[:n]
    WebPushSubscription.objects.bulk_create(
        [
            WebPushSubscription(
                user_id=uid,
                # A known push service's host; never called (nothing is sent).
                endpoint=f"https://fcm.googleapis.com/fcm/send/bench-{uid}",
                p256dh="BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
                auth="tBHItJI5svbpez7KI4CCXg",
                user_agent="bench",
            )
            for uid in parent_ids
        ],
        ignore_conflicts=True,
    )
    return User.objects.get(pk=ctx.teachers_by_class[klass.id][0]), klass, parent_ids


def _weekday_morning():
    """The next weekday (today included) at 10:00, in the site's time zone."""
    import datetime

    from django.utils import timezone

    day = timezone.localdate()
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


def measure(parents=30, repeat=20, warmup=2):
    from celery import current_app
    from celery.signals import after_task_publish
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from bench.seed import load_context
    from ent.directory.models import Territory
    from ent.notify import webpush
    from ent.notify.models import Delivery
    from messaging import tasks
    from messaging.models import Announcement

    ctx = load_context(Territory.objects.get(slug="bench"))
    teacher, klass, parent_ids = _setup(ctx, parents)
    published = []

    def on_publish(sender=None, **kwargs):
        published.append((sender, time.perf_counter()))

    after_task_publish.connect(on_publish, weak=False)
    keys = {} if webpush.enabled() else webpush.new_keys()  # a push channel needs VAPID keys
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(teacher)
    session = client.session
    session["ent_mfa_ok"] = True
    session.save()
    url = reverse("messaging:new_announcement")
    queued, requests, pushes = [], [], []
    # At 10:00 on a weekday, as a teacher writes in class: run in the evening,
    # the families' night window holds every push (rightly) and nothing is queued
    # to measure. The clock ticks from there.
    import time_machine

    with override_settings(**keys), time_machine.travel(_weekday_morning(), tick=True):
        for i in range(warmup + repeat):
            before = Delivery.objects.filter(channel=Delivery.Channel.WEBPUSH).count()
            published.clear()
            t0 = time.perf_counter()
            response = client.post(
                url,
                {"target": f"class-{klass.id}", "title": f"Sortie de jeudi ({i})", "body": "Pensez à l'autorisation."},
            )
            t1 = time.perf_counter()
            assert response.status_code == 302, response.status_code
            assert any(name == NOTIFY for name, _t in published), "the notification task was not queued"
            # What a free worker does with the task just queued.
            tasks.notify_announcement(Announcement.objects.filter(author=teacher).latest("id").id)
            if i < warmup:
                continue
            requests.append((t1 - t0) * 1000)
            pushes.append(Delivery.objects.filter(channel=Delivery.Channel.WEBPUSH).count() - before)
            at = [t for name, t in published if name == DELIVER]
            if at:  # none when the families' quiet hours or the night hold the pushes
                queued.append((at[-1] - t0) * 1000)
    after_task_publish.disconnect(on_publish)
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        current_app.control.purge()  # the bench's own broker db: nothing is ever sent
    return {
        "parents": len(parent_ids),
        "push_deliveries_per_request": min(pushes) if pushes else 0,
        "requests": len(requests),
        "queued_ms_median": round(statistics.median(queued), 1) if queued else None,
        "queued_ms_max": round(max(queued), 1) if queued else None,
        "request_ms_median": round(statistics.median(requests), 1),
        "request_ms_max": round(max(requests), 1),
        "held_by_quiet_hours": len(requests) - len(queued),
        "goal_queued_ms": 50,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parents", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    django.setup()
    result = measure(args.parents, args.repeat)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"push to {result['parents']} parents' devices: queued {result['queued_ms_median']} ms median "
            f"({result['queued_ms_max']} max; goal <= 50), request {result['request_ms_median']} ms median, "
            f"{result['push_deliveries_per_request']} push deliveries a request"
        )


if __name__ == "__main__":
    main()
