"""`make run`'s embedded broker: the Celery lines of scripts/run.sh, as they are,
start a real worker on kombu's filesystem transport that runs a task queued by
another process (the web process's side), and beat starts on the same settings."""

import os
import re
import subprocess
import uuid

import pytest

from tests.browser.asgi_server import BIN, ROOT
from tests.drills import services

RUN_SH = ROOT / "scripts" / "run.sh"


def run_sh_defaults() -> dict:
    """The `export NAME="${NAME:-default}"` lines of run.sh for Celery and its cache."""
    found = dict(
        re.findall(r'^export ((?:CELERY|ENT_FILE_CACHE)_[A-Z_]+)="\$\{\1:-([^}]*)\}"', RUN_SH.read_text(), re.M)
    )
    return {k: v.replace("$PWD", str(ROOT)) for k, v in found.items()}


def test_run_sh_uses_the_embedded_broker_and_starts_worker_and_beat():
    defaults = run_sh_defaults()
    assert defaults["CELERY_BROKER_URL"] == "filesystem://"
    assert defaults["CELERY_TASK_ALWAYS_EAGER"] == "false"
    text = RUN_SH.read_text()
    assert re.search(r'"\$BIN/celery" -A ent worker', text) and re.search(r'"\$BIN/celery" -A ent beat', text)


@pytest.mark.timeout(120)
def test_a_worker_on_run_sh_settings_runs_a_queued_task(tmp_path):
    defaults = run_sh_defaults()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "REDIS_", "DATABASE_"))},
        **defaults,
        # The production settings, as `make run` uses them, in a private var dir.
        "DJANGO_SETTINGS_MODULE": "ent.settings",
        "DJANGO_DEBUG": "true",
        "ENT_VAR_DIR": str(tmp_path),
        "ENT_FILE_CACHE_DIR": str(tmp_path / "cache"),
    }
    worker = services.Logged(
        [
            str(BIN / "celery"),
            "-A",
            "ent",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"run-smoke-{uuid.uuid4().hex[:8]}@%h",
        ],
        env,
        "run-worker",
    )
    beat = services.Logged(
        [str(BIN / "celery"), "-A", "ent", "beat", "--loglevel=INFO", "--max-interval=1"], env, "run-beat"
    )
    try:
        worker.start()
        services.wait_for(lambda: "ready." in worker.output(20000), 60, "the worker to be ready", 0.2)
        # Another process queues, as the web process does after a commit.
        task_id = subprocess.run(
            [
                str(BIN / "python"),
                "-c",
                "from ent.celery import app; print(app.send_task('notify.deliver_many', args=[[]]).id)",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
        services.wait_for(
            lambda: f"notify.deliver_many[{task_id}] succeeded" in worker.output(20000), 30, "the task to run", 0.2
        )
        assert list((tmp_path / "broker" / "queue").iterdir()) == []  # consumed, nothing left behind
        assert not (ROOT / "control").exists()  # the transport's table stays under var/
        beat.start()
        services.wait_for(lambda: "beat: Starting" in beat.output(20000), 30, "beat to start", 0.2)
        assert beat.proc.poll() is None, beat.output()
    finally:
        output = worker.output()
        worker.cleanup()
        beat.cleanup()
    assert "Traceback" not in output, output
