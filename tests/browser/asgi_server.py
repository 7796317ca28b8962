"""A real ASGI server (uvicorn) for browser tests, and the helpers a second
process needs to share the test database.

Use it from a test module or a conftest:

    from tests.browser.asgi_server import asgi_server, django_db_modify_db_settings  # noqa: F401

`asgi_server` starts `uvicorn ent.asgi:application` on a free port with
ent.test_settings and the test database, waits until it answers, yields an
object with `.url`, and stops it (by its PID) after the test. It needs the
rows committed, so it depends on `transactional_db`.

With SQLite the test database must be a file for a second process to see it:
`django_db_modify_db_settings` (re-exported above) makes it one when the
session's first database test is a browser test; ENT_TEST_SQLITE_FILE (see
ent/test_settings.py) does it for any run. Otherwise the fixture skips.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shared_database_url() -> str | None:
    """A DATABASE_URL for the current test database, or None when another
    process cannot open it (SQLite in memory)."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.postgresql":
        user = urllib.parse.quote(db.get("USER") or "")
        password = urllib.parse.quote(db.get("PASSWORD") or "")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = db.get("HOST") or "127.0.0.1"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}{host}{port}/{urllib.parse.quote(db['NAME'])}"
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if connection.is_in_memory_db() or name.startswith("file:"):
            return None
        return f"sqlite:///{name}"
    return None


SQLITE_SKIP = (
    "the SQLite test database is in memory, which a second process cannot open: "
    "use PostgreSQL (DATABASE_URL), or set ENT_TEST_SQLITE_FILE=/tmp/ent-test.sqlite3"
)


def child_env(**extra) -> dict:
    """The environment of a second process on the test database and services."""
    url = shared_database_url()
    if url is None:
        pytest.skip(SQLITE_SKIP)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ent.test_settings", "DATABASE_URL": url}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


class AsgiServer:
    def __init__(self, env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="ent-uvicorn-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                str(BIN / "uvicorn"),
                "ent.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-access-log",
                "--log-level",
                "warning",
                "--ws",
                "websockets",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited at start-up:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                    return
            except urllib.error.HTTPError:
                return  # it answers; the health check's own verdict is not ours
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"uvicorn did not answer within {timeout} s:\n{self.output()}")

    def output(self):
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def stop(self):
        stop_process(self.proc)
        Path(self.log.name).unlink(missing_ok=True)


@pytest.fixture
def asgi_server(transactional_db):
    """uvicorn serving ent.asgi:application on the committed test database."""
    server = AsgiServer(child_env())
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """Override of pytest-django's hook: a file-based SQLite test database, so the
    server process shares it. Nothing changes on PostgreSQL."""
    from django.db import connections

    db = connections["default"].settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3" and not db.get("TEST", {}).get("NAME"):
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("ent-db") / "test.sqlite3")
