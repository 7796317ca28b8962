"""Overload behaves (issue #25): a saturated web process answers at once with
the busy page (503, Retry-After, French and English) and recovers by itself.

The live test starts the production gunicorn configuration (gthread,
docker/gunicorn.conf.py) and fills its workers with requests that hold their
thread until the test releases them through Redis: no sleeps, no timing luck."""

import concurrent.futures
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.test import RequestFactory

from ent import admission

ROOT = Path(__file__).resolve().parents[2]


def _get(url, timeout=10):
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
            return response.status, dict(response.headers), response.read().decode(), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode(), time.monotonic() - started


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def middleware(settings):
    def build(limit=1, queue_ms=0):
        settings.ADMISSION_MAX_INFLIGHT = limit
        settings.ADMISSION_QUEUE_HEADER = bool(queue_ms)
        settings.ADMISSION_MAX_QUEUE_MS = queue_ms
        seen = []

        def view(request):
            seen.append(request.path)
            return admission.HttpResponse("ok")

        return admission.AdmissionMiddleware(view), seen

    return build


def test_a_request_that_waited_too_long_behind_nginx_gets_the_busy_page(middleware):
    mw, seen = middleware(limit=0, queue_ms=1500)
    rf = RequestFactory()
    old = rf.get("/accounts/login/", HTTP_X_REQUEST_START=f"t={time.time() - 3:.3f}")
    response = mw(old)
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert response["Cache-Control"] == "no-store"
    assert seen == []  # no work done for it
    fresh = rf.get("/accounts/login/", HTTP_X_REQUEST_START=f"t={time.time():.3f}")
    assert mw(fresh).status_code == 200
    # A garbled header is ignored, not an error.
    assert mw(rf.get("/", HTTP_X_REQUEST_START="t=yesterday")).status_code == 200
    # Health checks are never refused.
    assert mw(rf.get("/livez", HTTP_X_REQUEST_START="t=1")).status_code == 200


def test_the_gate_lets_a_few_wait_briefly_and_refuses_the_rest_at_once():
    gate = admission.Gate(limit=1, max_waiting=1, wait=0.05)
    assert gate.enter()  # the one slot
    started = time.monotonic()
    assert not gate.enter()  # waited its 50 ms, then busy
    assert time.monotonic() - started >= 0.05
    # While one waits, the next is refused without waiting.
    import threading

    waiter = threading.Thread(target=gate.enter)
    gate.wait = 5
    waiter.start()
    while gate.waiting == 0:
        time.sleep(0.001)  # until the waiter is in (a thread start, not a timing assumption)
    started = time.monotonic()
    assert not gate.enter()
    assert time.monotonic() - started < 0.5
    gate.leave()  # the waiter gets the slot
    waiter.join(5)
    assert gate.waiting == 0
    gate.leave()
    assert gate.enter()


def test_the_queue_header_is_ignored_unless_trusted(middleware):
    mw, _ = middleware(limit=0, queue_ms=0)
    request = RequestFactory().get("/", HTTP_X_REQUEST_START="t=1")
    assert mw(request).status_code == 200


def test_busy_page_is_plain_and_bilingual():
    body = admission.busy_response().content.decode()
    assert "Réessayez dans une minute" in body and "try again in a minute" in body
    assert "{%" not in body and "{{" not in body


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the held requests wait on Redis")
@pytest.mark.django_db(transaction=True)
def test_saturated_server_answers_busy_fast_then_recovers(tmp_path):
    import redis

    from tests.ops.overload_urls import ENTERED_KEY, RELEASE_KEY

    r = redis.Redis.from_url(os.environ["REDIS_URL"])
    r.delete(RELEASE_KEY, ENTERED_KEY)
    port = _free_port()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.ops.overload_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        if db["ENGINE"].endswith("postgresql")
        else os.environ.get("DATABASE_URL", ""),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "6",
        "ADMISSION_MAX_INFLIGHT": "2",
        # One may wait 300 ms for a turn, then it is told "busy" too.
        "ADMISSION_MAX_WAITING": "1",
        "ADMISSION_MAX_WAIT_MS": "300",
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "docker/gunicorn.conf.py", "ent.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "gunicorn.log").open("w"),
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=24)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if _get(base + "/livez", timeout=1)[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)  # the server is starting (not a timing assumption of the test)
        assert _get(base + "/accounts/login/")[0] == 200
        # Fill the process: two requests hold the two admitted slots.
        holds = []
        for _ in range(2):
            holds.append(pool.submit(_get, base + "/_test/hold/", 30))
            assert r.blpop([ENTERED_KEY], timeout=10), "a held request never started"
        assert _get(base + "/accounts/login/")[0] == 503
        # Twice what it can take and more: every request answered, fast, with the busy page.
        results = list(pool.map(lambda _: _get(base + "/accounts/login/"), range(20)))
        for code, headers, body, seconds in results:
            assert code == 503
            assert headers["Retry-After"] == "60"
            assert "Réessayez dans une minute" in body and "try again in a minute" in body
            assert seconds < 1.0, seconds
        # The health check still answers: the process is busy, not broken.
        assert _get(base + "/livez")[0] == 200
        # The load falls: it recovers by itself.
        r.rpush(RELEASE_KEY, 1, 1)
        assert [h.result()[0] for h in holds] == [200, 200]
        code, _, body, _ = _get(base + "/accounts/login/")
        assert code == 200 and "csrfmiddlewaretoken" in body
        # Busy pages are the plan working: not logged as server errors.
        assert "Service Unavailable" not in (tmp_path / "gunicorn.log").read_text()
    finally:
        r.rpush(RELEASE_KEY, *([1] * 4))
        pool.shutdown(wait=False, cancel_futures=True)
        os.killpg(server.pid, 15)
        server.wait(20)
