"""The database router against a real PostgreSQL streaming replica: a primary
cluster and a hot standby made from it with pg_basebackup -R, both started here on
their own ports, under a real WSGI server (gunicorn) with DATABASE_REPLICA_URL.

What it proves, with replay paused on the standby (so the two copies differ):
- a read-only page is served from the standby (the entry written on the primary
  is not on it);
- the person who just wrote reads their write on their next request
  (the signed pin cookie sends them to the primary) and is back on the standby
  once the pin expires;
- writes never go to the standby (a write there would fail: it is read-only;
  every write is acknowledged and is on the primary);
- with the standby stopped, pages are served from the primary, no 500.
"""

import http.client
import os
import subprocess
import time
import urllib.parse

import pytest
from django.urls import reverse

from tests.browser.asgi_server import BIN, ROOT
from tests.drills import http as drill_http
from tests.drills import services
from tests.homework.conftest import form_data

pytestmark = pytest.mark.drill

PIN_SECONDS = 3


class Standby(services.PostgresCluster):
    """A hot standby of `primary`: a base backup with -R (standby.signal and
    primary_conninfo written by pg_basebackup), on a port of its own."""

    def __init__(self, primary):
        super().__init__()
        self.primary = primary

    def init(self):
        self._run(
            f"{self.bin}/pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary.port),
            "-U",
            "postgres",
            "-D",
            self.data,
            "-R",
            "-X",
            "stream",
            # An immediate checkpoint: the default spread one waits for
            # checkpoint_timeout (5 minutes) on an idle cluster.
            "-c",
            "fast",
            timeout=300,
        )
        return self


@pytest.fixture(scope="module")
def pair():
    missing = services.missing_binaries()
    if missing:
        pytest.skip(f"the replica drill needs real server binaries, missing: {', '.join(missing)}")
    primary = services.PostgresCluster()
    standby = None
    try:
        primary.init()
        with open(os.path.join(primary.data, "pg_hba.conf"), "a") as hba:
            hba.write("\nhost replication all 127.0.0.1/32 trust\n")
        primary.start()
        primary.sql("CREATE DATABASE ent")
        env = services.django_env(primary.url("ent"))
        subprocess.run(
            [str(BIN / "python"), "manage.py", "migrate", "-v0", "--no-input"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=600,
            capture_output=True,
        )
        standby = Standby(primary).init()
        standby.start()
        assert standby.sql("SELECT pg_is_in_recovery()", db="ent") == "t"
        yield primary, standby
    finally:
        if standby is not None:
            standby.cleanup()
        primary.cleanup()


def fetch(base_url, method, path, *, cookies, data=None):
    """(status, body, cookies set by the response)."""
    parsed = urllib.parse.urlparse(base_url)
    # Generous: gunicorn's workers boot after its port opens, slowly on a busy machine.
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in {**cookies, "csrftoken": drill_http.CSRF}.items())}
    body = None
    if data is not None:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": drill_http.CSRF, **data})
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read().decode("utf-8", "replace")
        set_cookies = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                set_cookies[key.strip()] = val.strip().strip('"')
        return response.status, content, set_cookies
    finally:
        conn.close()


def caught_up(primary, standby, sql):
    return standby.sql(sql, db="ent") == primary.sql(sql, db="ent")


def test_reads_from_the_standby_and_the_writer_reads_their_write(pair):
    primary, standby = pair
    env = services.django_env(
        primary.url("ent"),
        DATABASE_REPLICA_URL=standby.url("ent"),
        DATABASE_REPLICA_PIN_SECONDS=PIN_SECONDS,
        DATABASE_REPLICA_RETRY_SECONDS=2,
        EMAIL_URL="locmem://",
    )
    seeded = services.agent(env, "seed")
    session = services.agent(env, "session", seeded["teacher"])["cookie"]
    teacher = {"sessionid": session}
    diary = reverse("homework:diary", args=[seeded["klass_slug"]])
    create = reverse("homework:entry_create", args=[seeded["klass_slug"]])
    count_entries = "SELECT count(*) FROM homework_entry"
    services.wait_for(
        lambda: caught_up(primary, standby, "SELECT count(*) FROM django_session"), 30, "the standby to replay the seed"
    )
    web = services.WebServer(env).start()
    try:
        status, page, _ = fetch(web.url, "GET", diary, cookies=teacher)
        assert status == 200 and "replica-drill-1" not in page, web.output()

        # The standby stops replaying: from now on it lags behind the primary.
        standby.sql("SELECT pg_wal_replay_pause()", db="ent")
        services.wait_for(lambda: standby.sql("SELECT pg_get_wal_replay_pause_state()") == "paused", 10, "pause")

        status, _, pin = fetch(web.url, "POST", create, cookies=teacher, data=form_data(title="replica-drill-1"))
        # Written on the primary (the standby is read-only: a write there fails).
        assert status == 302, web.output()
        assert primary.sql("SELECT count(*) FROM homework_entry WHERE title = 'replica-drill-1'", db="ent") == "1"
        assert standby.sql("SELECT count(*) FROM homework_entry WHERE title = 'replica-drill-1'", db="ent") == "0"
        assert "ent_primary" in pin, "the write's response pins its author to the primary"

        # Someone without the pin (the same session, another browser tab that did
        # not write): served from the standby, which does not have the entry.
        status, page, _ = fetch(web.url, "GET", diary, cookies=teacher)
        assert status == 200 and "replica-drill-1" not in page
        # The writer, with the pin: their entry is there, from the primary.
        status, page, _ = fetch(web.url, "GET", diary, cookies={**teacher, "ent_primary": pin["ent_primary"]})
        assert status == 200 and "replica-drill-1" in page
        # The pin expires: back on the (still paused) standby.
        time.sleep(PIN_SECONDS + 1)
        status, page, _ = fetch(web.url, "GET", diary, cookies={**teacher, "ent_primary": pin["ent_primary"]})
        assert status == 200 and "replica-drill-1" not in page

        # Replay resumes: everyone sees it within seconds.
        standby.sql("SELECT pg_wal_replay_resume()", db="ent")
        services.wait_for(lambda: caught_up(primary, standby, count_entries), 30, "the standby to catch up")
        status, page, _ = fetch(web.url, "GET", diary, cookies=teacher)
        assert status == 200 and "replica-drill-1" in page

        # The standby goes away: pages come from the primary, never a 500.
        standby.stop("immediate")
        primary.sql(
            "UPDATE homework_entry SET title = 'replica-drill-primary-only' WHERE title = 'replica-drill-1'", db="ent"
        )
        statuses = []
        for _ in range(6):
            status, page, _ = fetch(web.url, "GET", diary, cookies=teacher)
            statuses.append(status)
            assert "replica-drill-primary-only" in page
        assert statuses == [200] * 6, (statuses, web.output())
        assert "database replica unavailable" in web.output(20000)
    finally:
        output = web.output()
        web.cleanup()
    assert "Traceback" not in output, output
