"""/healthz against real services: the database, a real S3 server (`weed mini`)
and a Redis server this test starts and stops."""

import shutil
import socket
import subprocess
import time

import pytest
import redis

from ent import storage

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def redis_server():
    if not shutil.which(REDIS_SERVER):
        pytest.skip("redis-server is not installed")
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def s3_down(settings):
    """Point the storage module at a port where nothing listens."""
    settings.S3_ENDPOINT = f"127.0.0.1:{_free_port()}"
    storage.reset_clients()
    yield
    storage.reset_clients()


@pytest.mark.django_db
def test_all_up_then_redis_down(client, settings, s3, redis_server):
    settings.REDIS_URL = redis_server.url

    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert response.json() == {
        "status": "ok",
        "services": {"database": {"status": "up"}, "s3": {"status": "up"}, "redis": {"status": "up"}},
    }

    redis_server.stop()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["services"]["redis"]["status"] == "down"
    assert body["services"]["redis"]["error"]
    assert body["services"]["database"] == {"status": "up"}
    assert body["services"]["s3"] == {"status": "up"}


@pytest.mark.django_db
def test_redis_not_configured_is_not_checked(client, settings, s3):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert set(response.json()["services"]) == {"database", "s3"}


@pytest.mark.django_db
def test_s3_down(client, settings, s3_down):
    settings.REDIS_URL = ""
    started = time.monotonic()
    response = client.get("/healthz")
    # A health check must answer fast even when a service is gone.
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["services"]["s3"]["status"] == "down"
    assert body["services"]["database"] == {"status": "up"}


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_wrong_method(client, method):
    assert getattr(client, method)("/healthz").status_code == 405


@pytest.mark.django_db
def test_needs_no_login_and_no_mfa(client, settings, s3, login_as, world):
    """Load balancers call it anonymously; a logged-in staff member without MFA is
    not redirected to the MFA setup either."""
    settings.REDIS_URL = ""
    assert client.get("/healthz").status_code == 200
    login_as(world.direction, mfa_done=False)
    assert client.get("/healthz").status_code == 200
