"""One test with a real Celery worker process on Redis: notify() in a committed
transaction is delivered by the worker, once."""

import os
import subprocess
import time
from pathlib import Path

import pytest
from django.db import transaction

from ent.celery import app
from ent.notify import tasks
from ent.notify.api import notify
from ent.notify.models import Delivery, NotificationSettings
from tests.browser.asgi_server import BIN, ROOT, child_env, stop_process
from tests.factories import make_user

REDIS_URL = os.environ.get("REDIS_URL", "")


def wait_for(predicate, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def reset_producers():
    # Connections and producers are cached per app: drop them so the next task
    # goes to the broker now configured (what Celery itself does after a fork).
    if app._pool is not None:
        app._pool.force_close_all()
    app._after_fork()


@pytest.fixture
def worker(transactional_db, tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log = tmp_path / "worker.log"
    env = child_env(
        ENT_TEST_CELERY_EAGER="false",
        REDIS_URL=REDIS_URL,
        EMAIL_URL=f"file://{mail_dir}",
        # No night in this test: it runs at any hour.
        NOTIFY_NIGHT_START_HOUR=0,
        NOTIFY_NIGHT_END_HOUR=0,
    )
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "ent",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--purge",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: "ready." in log.read_text(errors="replace") or proc.poll() is not None, 60, "worker start")
        assert proc.poll() is None, log.read_text(errors="replace")
        # This process now queues tasks on Redis instead of running them.
        saved = (app.conf.task_always_eager, app.conf.broker_url)
        app.conf.task_always_eager = False
        app.conf.broker_url = REDIS_URL
        reset_producers()
        try:
            yield mail_dir
        finally:
            app.conf.task_always_eager, app.conf.broker_url = saved
            reset_producers()
    finally:
        stop_process(proc)
        print(log.read_text(errors="replace")[-3000:])


@pytest.mark.worker
@pytest.mark.skipif(not REDIS_URL, reason="the worker test needs a Redis broker: set REDIS_URL")
@pytest.mark.django_db(transaction=True)
def test_real_worker_delivers_once(worker, settings):
    settings.NOTIFY_NIGHT_START_HOUR = settings.NOTIFY_NIGHT_END_HOUR = 0
    parent = make_user("parent_worker", email="worker-parent@example.org", first_name="Chloé")
    NotificationSettings.objects.create(user=parent, quiet_start="00:00", quiet_end="00:00")
    with transaction.atomic():
        notify([parent], "message.new", context={"sender_name": "Anne Leroy", "conversation_title": "Sortie"})
    delivery = Delivery.objects.get()

    def sent():
        delivery.refresh_from_db()
        return delivery.status == Delivery.Status.SENT

    wait_for(sent, 30, "the worker to send the email")
    files = list(Path(worker).iterdir())
    assert len(files) == 1
    text = files[0].read_text()
    assert "worker-parent@example.org" in text and "Anne Leroy" in text

    # Queued again (a redelivered message, a retry): nothing more is sent.
    tasks.deliver.delay(delivery.id)
    tasks.release_due.delay()
    time.sleep(2)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 1)
    assert len(list(Path(worker).iterdir())) == 1
