"""Drill: the Celery worker stops while notification emails are queued on its
Redis. When it comes back each is delivered exactly once, none twice, even when
the same tasks are queued again (a redelivered broker message, a retry)."""

import pytest

from tests.drills import services

pytestmark = pytest.mark.drill


def test_worker_stopped_while_emails_are_queued(drill_db, drill_redis, tmp_path):
    mail = tmp_path / "mail"
    mail.mkdir()
    env = services.django_env(drill_db, drill_redis.url, EMAIL_URL=f"file://{mail}")
    seeded = services.agent(env, "seed", 24)
    first, second = seeded["parents"][:8], seeded["parents"][8:]
    worker = services.CeleryWorker(env)
    try:
        worker.start()
        services.agent(env, "notify_each", *first)
        services.wait_for(
            lambda: services.agent(env, "counts")["deliveries"].get("sent") == len(first), 60, "the first emails", 1
        )

        worker.stop()  # warm shutdown, as a deploy or a crash-restart would
        services.agent(env, "notify_each", *second)
        queued = drill_redis.command("LLEN", "celery")
        state = services.agent(env, "counts")
        assert queued >= 1 and state["deliveries"].get("pending") == len(second)
        # Every delivery queued once more while the worker is away: duplicates wait too.
        services.agent(env, "requeue_all")
        queued_total = drill_redis.command("LLEN", "celery")

        worker.start()
        services.wait_for(lambda: drill_redis.command("LLEN", "celery") == 0, 90, "the queue to drain", interval=0.3)
        services.wait_for(
            lambda: services.agent(env, "counts")["immediate_not_sent"] == 0, 60, "every delivery sent", interval=1
        )
        state = services.agent(env, "counts")
    finally:
        log = worker.output()
        worker.cleanup()
    # The file backend may append several messages to one file: count "To:" lines.
    to_lines = [
        line for p in mail.iterdir() for line in p.read_text(errors="replace").splitlines() if line.startswith("To: ")
    ]
    total = len(first) + len(second)
    per_recipient = {i: to_lines.count(f"To: drill-parent-{i}@example.org") for i in range(24)}
    lost = total - state["deliveries"].get("sent", 0)
    twice = len(to_lines) - total
    print(
        f"worker drill: {total} emails, {len(second)} queued while the worker was down "
        f"({queued_total} broker messages with the duplicates), sent {state['deliveries'].get('sent', 0)}, "
        f"lost {lost}, sent twice {twice}"
    )
    assert lost == 0 and twice == 0, log
    assert all(n == 1 for n in per_recipient.values()), per_recipient
    assert state["attempts_over_one"] == 0
