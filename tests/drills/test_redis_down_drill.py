"""Drill: Redis (cache, sessions' cache, Celery broker, channel layer) goes down
while teachers publish homework, which notifies families. Pages keep answering,
the work and its notifications are in the database, and once Redis is back the
emails go out (the beat's release_due catches up): nothing lost."""

import asyncio
import json
import subprocess
import textwrap

import pytest
from django.urls import reverse

from tests.browser.asgi_server import BIN, ROOT, free_port
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


# --- Messaging: Redis as channel layer and cache, a socket that catches up -------------------------


def _django(env, code: str):
    """Run a few lines inside the project, on the drill's database: the last line
    they print, as JSON (kept here rather than in agent.py: only this drill needs them)."""
    script = "import django, json\ndjango.setup()\n" + textwrap.dedent(code)
    done = subprocess.run(
        [str(BIN / "python"), "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


class AsgiServer(services.Logged):
    """uvicorn on ent.asgi (HTTP and the socket), as in production."""

    def __init__(self, env):
        self.port = free_port()
        super().__init__(
            [str(BIN / "uvicorn"), "ent.asgi:application", "--host", "127.0.0.1", "--port", str(self.port),
             "--lifespan", "off", "--no-access-log", "--log-level", "warning", "--ws-ping-interval", "0"],
            env,
            "uvicorn",
        )  # fmt: skip

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        super().start()

        def answers():
            assert self.proc.poll() is None, self.output()
            return services.port_open(self.port)

        services.wait_for(answers, 60, "uvicorn to listen", interval=0.2)
        return self


async def _open(server, cookie):
    from websockets.asyncio.client import connect

    return await connect(
        f"ws://127.0.0.1:{server.port}/ws/",
        additional_headers={"Cookie": f"sessionid={cookie}", "Origin": server.url},
        open_timeout=20,
        ping_interval=None,
    )


async def _frame(ws, wanted: str, timeout=15):
    async def wait():
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == wanted:
                return frame

    return await asyncio.wait_for(wait(), timeout)


async def _first_push(server, cookie, post):
    """Open the socket, have `post()` send a message, return the id pushed."""
    ws = await _open(server, cookie)
    try:
        await asyncio.to_thread(post)
        return (await _frame(ws, "messaging.message"))["message"]["id"]
    finally:
        await ws.close()


async def _catch_up_once(server, cookie, after: int) -> list[int]:
    """Connect and ask for everything after `after`, page by page."""
    ws = await _open(server, cookie)
    seen = []
    try:
        while True:
            await ws.send(json.dumps({"action": "messaging.catch_up", "after": after}))
            answer = await _frame(ws, "messaging.missed", timeout=20)
            seen += [m["id"] for m in answer["messages"]]
            after = answer["last_id"]
            if not answer["more"]:
                return seen
    finally:
        await ws.close()


async def _catch_up(server, cookie, after: int, attempts=6) -> tuple[list[int], int]:
    """Reconnect as the page's script does (again after a dropped or silent
    socket, a second later): the ids caught up, and the connections it took."""
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    for attempt in range(1, attempts + 1):
        try:
            return await _catch_up_once(server, cookie, after), attempt
        except (ConnectionClosed, InvalidStatus, TimeoutError, OSError) as exc:
            print(f"catch-up connection {attempt} failed: {exc!r}")
            await asyncio.sleep(1)
    raise AssertionError(f"no catch-up after {attempts} connections")


def test_messages_while_redis_is_down_are_caught_up_by_the_socket(drill_db, drill_redis):
    """A parent and a teacher write over HTTP while Redis (channel layer, cache,
    sessions' cache) is down: every page answers, every message is in the
    database, and a socket reconnecting afterwards gets each one by catch-up."""
    env = services.django_env(drill_db, drill_redis.url)
    seeded = services.agent(env, "seed")
    teacher = services.agent(env, "session", seeded["teacher"])["cookie"]
    guardian = services.agent(env, "session", seeded["guardian"])["cookie"]
    conversation = _django(
        env,
        f"""
        from ent.directory.models import User
        from messaging.actions import do_start_conversation
        parent = User.objects.get(id={seeded["guardian"]})
        conversation = do_start_conversation(parent, [{seeded["teacher"]}], "Drill", "Bonjour")
        print(json.dumps(conversation.id))
        """,
    )
    post = reverse("messaging:post", args=[conversation])
    page = reverse("messaging:conversation", args=[conversation])
    server = AsgiServer(env).start()
    statuses = []

    def write(cookie, body):
        statuses.append(("write", body, http.request(server.url, "POST", post, cookie=cookie, data={"body": body})))
        statuses.append(("read", page, http.request(server.url, "GET", page, cookie=cookie)))

    try:
        last_seen = asyncio.run(_first_push(server, teacher, lambda: write(guardian, "before-outage")))

        drill_redis.stop()
        for i in range(5):
            write(guardian, f"parent-during-outage-{i}")
            write(teacher, f"teacher-during-outage-{i}")
        during = _django(
            env,
            f"""
            from messaging.models import Message
            print(json.dumps(list(Message.objects.filter(conversation_id={conversation}, id__gt={last_seen})
                                  .order_by("id").values_list("id", "body"))))
            """,
        )

        drill_redis.start()  # empty: nothing of the outage was ever in Redis
        caught, tries = asyncio.run(_catch_up(server, teacher, last_seen))
        caught_by_parent, parent_tries = asyncio.run(_catch_up(server, guardian, last_seen))
    finally:
        output = server.output(60000)
        server.cleanup()
    failed = [s for s in statuses if s[2] is None or not 200 <= s[2] < 400]
    acked = {body for kind, body, status in statuses if kind == "write" and status == 302}
    written = {body for _id, body in during}
    during_ids = {message_id for message_id, _body in during}
    lost = during_ids - set(caught)
    lost_by_parent = during_ids - set(caught_by_parent)
    print(
        f"redis drill (messaging): {len(statuses)} requests ({len(failed)} failed) with Redis down for 10 messages; "
        f"in the database {len(written)} of {len(acked - {'before-outage'})} acknowledged; after the restart "
        f"the teacher's socket caught up {len(caught)} (connection {tries}), lost {len(lost)}; the parent's "
        f"{len(caught_by_parent)} (connection {parent_tries}), lost {len(lost_by_parent)}"
    )
    assert not failed, (failed, output[-3000:])
    assert acked - {"before-outage"} == written and len(written) == 10
    assert not lost and not lost_by_parent
    assert sorted(caught) == sorted(during_ids)  # no duplicates, nothing before the outage


def _has_route(name):
    from django.urls import NoReverseMatch

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True
