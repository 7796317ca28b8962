import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.clamd import Clamd, clamd_binary
from tests.factories import build_world


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """A new channel layer object for each test. Every async test runs its own
    event loop, and channels_redis keeps asyncio locks in the layer: one left
    locked by a consumer cancelled with its test's loop made a later test fail
    with "Lock ... is bound to a different event loop" (order-dependent)."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


S3_ACCESS_KEY = "ent-test-access"
S3_SECRET_KEY = "ent-test-secret-key"


@pytest.fixture
def no_page_cache(settings):
    """The query-count tests pin what rendering a page costs: a page-cache hit
    (ent/pagecache.py) would measure nothing. Everywhere else the cache stays on,
    so the whole suite checks that writes replace the pages they change."""
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def login_as(client):
    """Log a person in. Staff are logged in as if they had completed MFA, since
    only the MFA tests are about MFA."""

    def _login(user, *, mfa_done=True, the_client=None):
        c = the_client or client
        c.force_login(user)
        if mfa_done:
            session = c.session
            session["ent_mfa_ok"] = True
            session.save()
        return c

    return _login


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _weed_binary():
    found = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    return found


class S3Server:
    """A real S3 server (`weed mini`), started and stopped by the tests."""

    def __init__(self):
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="ent-s3-")
        self.proc = None

    @property
    def endpoint(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        env = {**os.environ, "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY}
        # Every other weed port is picked free as well, so parallel runs and a
        # running `make run` do not collide.
        args = [
            _weed_binary(),
            "mini",
            f"-dir={self.dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.port={self.port}",
            f"-master.port={_free_port()}",
            f"-volume.port={_free_port()}",
            f"-filer.port={_free_port()}",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ]
        self.proc = subprocess.Popen(
            args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://{self.endpoint}/", timeout=0.5)
                return
            except urllib.error.HTTPError:
                return  # 403: up and checking signatures
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("weed mini exited at start-up")
                time.sleep(0.2)
        raise RuntimeError("weed mini did not answer within 30 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def s3(s3_server, settings):
    """Point the project's storage module at the test S3 server, with a fresh bucket."""
    from ent import storage

    settings.S3_ENDPOINT = s3_server.endpoint
    settings.S3_PUBLIC_ENDPOINT = s3_server.endpoint
    settings.S3_ACCESS_KEY = S3_ACCESS_KEY
    settings.S3_SECRET_KEY = S3_SECRET_KEY
    settings.S3_BUCKET = f"ent-test-{os.getpid()}-{time.monotonic_ns() % 10**9}"
    # Let pages load presigned URLs of this server (Content-Security-Policy).
    origin = f"http://{s3_server.endpoint}"
    directives = {
        name: [origin if v.startswith("http://127.0.0.1:") else v for v in values]
        for name, values in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].items()
    }
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": directives}
    storage.reset_clients()
    storage.ensure_bucket()
    yield storage
    try:
        for key in list(storage.list_keys()):
            storage.delete(key)
        storage.client().remove_bucket(settings.S3_BUCKET)
    except Exception as exc:  # the server may already be stopped by a drill
        print(f"s3 fixture cleanup skipped: {exc}")
    storage.reset_clients()


# --- Antivirus (tests/clamd.py) ---------------------------------------------------------------
# tests/media/conftest.py keeps its own copy of these two fixtures for now; they
# behave the same.


@pytest.fixture(scope="session")
def clamd_server():
    if not clamd_binary():
        pytest.fail("clamd is missing: apt-get install -y --no-install-recommends clamav-daemon clamav")
    server = Clamd()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def av(clamd_server, settings):
    """The settings pointed at the real clamd."""
    settings.CLAMD_SOCKET = clamd_server.socket
    settings.CLAMD_HOST = ""
    return clamd_server


@pytest.fixture(autouse=True)
def _antivirus_with_the_store(request):
    """Every test that stores files gets the real antivirus as well: an upload
    is held, never offered, until clamd has seen it (ent/files.py). A test about
    clamd being down changes settings.CLAMD_SOCKET itself."""
    if "s3" in request.fixturenames:
        request.getfixturevalue("av")
