"""Drill: PostgreSQL restarts while a WSGI server (gunicorn) takes traffic. Requests
during the restart may fail; afterwards every one succeeds again within seconds,
without touching the web server, and no write answered with a 2xx/3xx is lost."""

import threading
import time

import pytest
from django.urls import reverse

from tests.drills import http, services
from tests.homework.conftest import form_data

pytestmark = pytest.mark.drill

RECOVERY_SECONDS = 5


@pytest.mark.parametrize("pooling", ["connection per request", "psycopg pool"])
def test_postgres_restart_during_traffic(drill_cluster, drill_db, pooling):
    extra = {"DATABASE_POOL": "true", "DATABASE_POOL_MIN": 2} if pooling == "psycopg pool" else {}
    env = services.django_env(drill_db, EMAIL_URL="locmem://", **extra)
    seeded = services.agent(env, "seed")
    cookie = services.agent(env, "session", seeded["teacher"])["cookie"]
    create = reverse("homework:entry_create", args=[seeded["klass_slug"]])
    diary = reverse("homework:diary", args=[seeded["klass_slug"]])
    web = services.WebServer(env).start()
    log, stop = [], threading.Event()

    def traffic():
        i = 0
        while not stop.is_set():
            i += 1
            title = f"drill-{i}"
            status = http.request(web.url, "POST", create, cookie=cookie, data={**form_data(), "title": title})
            log.append((time.monotonic(), "write", title, status))
            status = http.request(web.url, "GET", diary, cookie=cookie)
            log.append((time.monotonic(), "read", None, status))

    thread = threading.Thread(target=traffic, daemon=True)
    try:
        assert http.request(web.url, "GET", diary, cookie=cookie) == 200
        thread.start()
        time.sleep(2)
        down_at = time.monotonic()
        drill_cluster.stop("fast")
        time.sleep(1)
        drill_cluster.start()
        up_at = time.monotonic()
        time.sleep(RECOVERY_SECONDS + 2)
    finally:
        stop.set()
        thread.join(30)
        output = web.output()
        web.cleanup()

    ok = {200, 302}
    before = [entry for entry in log if entry[0] < down_at]
    after = [entry for entry in log if entry[0] > up_at]
    failures_after = [entry for entry in after if entry[3] not in ok]
    recovered_at = max((entry[0] for entry in failures_after), default=up_at)
    settled = [entry for entry in after if entry[0] > up_at + RECOVERY_SECONDS]
    acked = {title for _t, kind, title, status in log if kind == "write" and status == 302}
    stored = set(services.agent(env, "counts")["entries"])
    lost = acked - stored
    print(
        f"postgres drill ({pooling}): {len(log)} requests, {len(before)} before the restart (all ok: "
        f"{all(e[3] in ok for e in before)}), {sum(e[3] not in ok for e in log)} failed around it, "
        f"recovered {recovered_at - up_at:.1f} s after the restart, {len(settled)} requests after that all ok: "
        f"{all(e[3] in ok for e in settled)}; writes acknowledged {len(acked)}, lost {len(lost)}"
    )
    assert all(e[3] in ok for e in before), before
    assert settled and all(e[3] in ok for e in settled), (settled[:5], output)
    assert recovered_at - up_at < RECOVERY_SECONDS
    assert not lost
