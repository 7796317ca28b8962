"""Drill: Redis (cache, sessions' cache, Celery broker, channel layer) goes down
while teachers publish homework, which notifies families. Pages keep answering,
the work and its notifications are in the database, and once Redis is back the
emails go out (the beat's release_due catches up): nothing lost."""

import pytest
from django.urls import reverse

from tests.drills import http, services
from tests.homework.conftest import form_data

pytestmark = pytest.mark.drill


def test_redis_down_while_notifying(drill_db, drill_redis, tmp_path):
    mail = tmp_path / "mail"
    mail.mkdir()
    env = services.django_env(drill_db, drill_redis.url, EMAIL_URL=f"file://{mail}")
    seeded = services.agent(env, "seed")
    teacher = services.agent(env, "session", seeded["teacher"])["cookie"]
    guardian = services.agent(env, "session", seeded["guardian"])["cookie"]
    create = reverse("homework:entry_create", args=[seeded["klass_slug"]])
    pages = [
        (teacher, reverse("homework:diary", args=[seeded["klass_slug"]])),
        (guardian, reverse("homework:week")),
        (guardian, reverse("notify:feed") if _has_route("notify:feed") else reverse("homework:week")),
    ]
    web = services.WebServer(env).start()
    worker = services.CeleryWorker(env)
    statuses = []
    try:
        worker.start()

        def publish(title):
            status = http.request(web.url, "POST", create, cookie=teacher, data={**form_data(), "title": title})
            statuses.append(("write", title, status))
            for cookie, page in pages:
                statuses.append(("read", page, http.request(web.url, "GET", page, cookie=cookie)))

        publish("before-outage")
        services.wait_for(lambda: services.agent(env, "counts")["immediate_not_sent"] == 0, 60, "first emails", 1)

        drill_redis.stop()
        for i in range(5):
            publish(f"during-outage-{i}")
        during = services.agent(env, "counts")

        drill_redis.start()  # empty: what the broker held is gone, the database is not
        services.agent(env, "release_due")
        services.wait_for(
            lambda: services.agent(env, "counts")["immediate_not_sent"] == 0, 90, "the catch-up", interval=1
        )
        after = services.agent(env, "counts")
    finally:
        output = web.output(60000) + worker.output()
        worker.cleanup()
        web.cleanup()
    failed = [s for s in statuses if s[2] not in (200, 302)]
    acked = {title for kind, title, status in statuses if kind == "write" and status == 302}
    lost_entries = acked - set(after["entries"])
    sent = after["deliveries"].get("sent", 0)
    print(
        f"redis drill: {len(statuses)} requests ({len(failed)} failed) with Redis down for 5 publications; "
        f"notifications in the database during the outage {during['notifications']}, deliveries pending "
        f"{during['immediate_not_sent']}; after the catch-up sent {sent}, not sent {after['immediate_not_sent']}; "
        f"entries acknowledged {len(acked)}, lost {len(lost_entries)}"
    )
    assert not failed, (failed, output[-3000:])
    assert not lost_entries and after["immediate_not_sent"] == 0


def test_notifications_sent_while_redis_is_down_are_caught_up(drill_db, drill_redis, tmp_path):
    """notify() in committed transactions while the broker is down: the rows are
    written and the caller carries on; when Redis is back the beat's release_due
    sends each email once."""
    mail = tmp_path / "mail"
    mail.mkdir()
    env = services.django_env(drill_db, drill_redis.url, EMAIL_URL=f"file://{mail}")
    parents = services.agent(env, "seed", 10)["parents"]
    worker = services.CeleryWorker(env)
    try:
        worker.start()
        services.agent(env, "notify_each", *parents[:2])
        services.wait_for(lambda: services.agent(env, "counts")["immediate_not_sent"] == 0, 60, "first emails", 1)
        drill_redis.stop()
        services.agent(env, "notify_each", *parents[2:])
        during = services.agent(env, "counts")
        drill_redis.start()
        services.agent(env, "release_due")
        services.wait_for(
            lambda: services.agent(env, "counts")["immediate_not_sent"] == 0, 90, "the catch-up", interval=1
        )
        after = services.agent(env, "counts")
    finally:
        output = worker.output()
        worker.cleanup()
    to_lines = [
        line for p in mail.iterdir() for line in p.read_text(errors="replace").splitlines() if line.startswith("To: ")
    ]
    lost = len(parents) - after["deliveries"].get("sent", 0)
    print(
        f"redis drill (notify): {len(parents) - 2} notifications while Redis was down, in the database "
        f"{during['notifications'] - 2}, held back {during['immediate_not_sent']}; after the catch-up sent "
        f"{after['deliveries'].get('sent', 0)} of {len(parents)}, emails {len(to_lines)}, lost {lost}, "
        f"twice {len(to_lines) - len(parents)}"
    )
    assert during["notifications"] == len(parents) and during["immediate_not_sent"] == len(parents) - 2
    assert lost == 0 and len(to_lines) == len(parents), output


def _has_route(name):
    from django.urls import NoReverseMatch

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True
