"""WebSocket figures on the production layout (uvicorn + channels_redis):

- one-to-one: a parent sends over the socket, the teacher's socket receives the
  push; send → receive latency p50/p99;
- an announcement to a class's families: time until 30 connected parents all
  have it, p50/p99;
- idle sockets: N authenticated connections held by one uvicorn process, and
  its resident memory before and after.

Runs against the benchmark database (bench/run.py sets the environment; it
needs the bench dataset). Prints a table, or one JSON line with --json.
"""

import argparse
import asyncio
import json
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GOALS = {"one_to_one_p50_ms": 20, "announcement_30_p99_ms": 100, "idle_2000_rss_mb": 1024}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def log(text):
    print(f"ws bench: {text}", file=sys.stderr, flush=True)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def prepare():
    """The people and rows of the measures, and their session cookies."""
    from bench.prepare import session_cookie
    from bench.seed import load_context
    from ent.directory.models import Territory, User
    from messaging.actions import do_start_conversation
    from messaging.models import Announcement

    ctx = load_context(Territory.objects.get(slug="bench"))
    klass = ctx.classes[0]
    teacher = User.objects.get(id=ctx.teachers_by_class[klass.id][0])
    parents = []
    for pupil_id in ctx.pupils_by_class[klass.id]:
        parents += ctx.guardians_by_pupil.get(pupil_id, [])
    parents = list(User.objects.filter(id__in=list(dict.fromkeys(parents))).order_by("id"))
    parent = parents[0]
    conversation = do_start_conversation(parent, [teacher.id], "Bench", "Bonjour")
    direction_id = ctx.staff_by_school[klass.school_id]["direction"]
    return {
        "teacher": teacher,
        "parent": parent,
        "parents": parents,
        "klass": klass,
        "conversation_id": conversation.id,
        "direction": User.objects.get(id=direction_id),
        "audience": Announcement.Audience.CLASS,
        "cookies": {u.id: session_cookie(u) for u in [teacher, *parents]},
    }


async def open_socket(url, cookie, origin):
    from websockets.asyncio.client import connect

    ws = await connect(
        url,
        additional_headers={"Cookie": cookie, "Origin": origin},
        open_timeout=20,
        max_queue=None,
        ping_interval=None,
    )
    return ws


async def wait_for(ws, predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(0.01, deadline - time.monotonic())))
        if predicate(frame):
            return frame


async def one_to_one(url, origin, data, rounds):
    sender = await open_socket(url, data["cookies"][data["parent"].id], origin)
    receiver = await open_socket(url, data["cookies"][data["teacher"].id], origin)
    latencies = []
    try:
        for i in range(rounds):
            body = f"bench-{i}-{time.monotonic_ns()}"
            t0 = time.perf_counter()
            await sender.send(
                json.dumps({"action": "messaging.send", "conversation": data["conversation_id"], "body": body})
            )
            await wait_for(
                receiver,
                lambda f, body=body: (
                    f.get("type") == "messaging.message" and body in f.get("message", {}).get("html", "")
                ),
            )
            latencies.append((time.perf_counter() - t0) * 1000)
    finally:
        await sender.close()
        await receiver.close()
    return latencies


_sender_objects = {}


def _sender_init():
    django.setup()


def _send_announcement(direction_id, klass_id, audience, title):
    """In the sender process: what a web worker does when the office posts the form."""
    from ent.directory.models import SchoolClass, User
    from messaging.actions import do_send_announcement

    if not _sender_objects:
        _sender_objects.update(direction=User.objects.get(id=direction_id), klass=SchoolClass.objects.get(id=klass_id))
    do_send_announcement(
        _sender_objects["direction"],
        title=title,
        body="Sortie scolaire vendredi.",
        audience=audience,
        target=_sender_objects["klass"],
    )


async def announcement(url, origin, data, rounds, listeners=30):
    import concurrent.futures
    import multiprocessing

    parents = data["parents"][:listeners]
    sockets = await asyncio.gather(*(open_socket(url, data["cookies"][p.id], origin) for p in parents))

    # Sent from a process of its own, as a web worker sends it (gunicorn posts
    # the form): its push goes through that process's push loop
    # (ent.notify.push), and the write does not share this client's interpreter
    # (one GIL with the parsing of 30 sockets' frames). Interleaved runs: p99
    # 88-136 ms from a thread of this process, 39-48 ms from its own process.
    # The first announcement is not timed (the process's imports and connection).
    loop = asyncio.get_running_loop()
    sender = concurrent.futures.ProcessPoolExecutor(
        1, mp_context=multiprocessing.get_context("spawn"), initializer=_sender_init
    )
    args = (data["direction"].id, data["klass"].id, data["audience"])

    def send(title):
        return loop.run_in_executor(sender, _send_announcement, *args, title)

    await send("Annonce de mise en route")
    times = []
    try:
        for i in range(rounds):
            title = f"Annonce {i}"
            t0 = time.perf_counter()
            waiting = [
                asyncio.create_task(
                    wait_for(
                        ws,
                        lambda f, title=title: (
                            f.get("type") == "messaging.announcement"
                            and f.get("announcement", {}).get("title") == title
                        ),
                    )
                )
                for ws in sockets
            ]
            await send(title)
            await asyncio.gather(*waiting)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        sender.shutdown()
        await asyncio.gather(*(ws.close() for ws in sockets))
    return times, len(sockets)


async def idle(url, origin, cookie, count, pid):
    before = rss_mb(pid)
    sockets = []
    for start in range(0, count, 100):
        batch = await asyncio.gather(*(open_socket(url, cookie, origin) for _ in range(min(100, count - start))))
        sockets += batch
    await asyncio.sleep(1)
    after = rss_mb(pid)
    await asyncio.gather(*(ws.close() for ws in sockets))
    return len(sockets), before, after


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--idle", type=int, default=2000)
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    django.setup()
    data = prepare()
    # Channels a killed server never discarded stay in their groups until the
    # group expiry (a day): a group_send to 2,000 dead channels of an earlier run
    # took ~80 ms. Start from an empty channel layer.
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    async_to_sync(get_channel_layer().flush)()
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "uvicorn"),
            "ent.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
            "--ws-ping-interval",
            "0",
            "--timeout-graceful-shutdown",
            "5",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        # Not our pipes: a server left behind would keep the caller waiting on them.
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=1)  # noqa: S310 (loopback)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        url, origin = f"ws://127.0.0.1:{port}/ws/", f"http://127.0.0.1:{port}"
        rounds = 20 if args.quick else 200
        log(f"one-to-one, {rounds} messages")
        lat = asyncio.run(asyncio.wait_for(one_to_one(url, origin, data, rounds), 300))
        log("announcements")
        ann, listeners = asyncio.run(asyncio.wait_for(announcement(url, origin, data, 5 if args.quick else 30), 300))
        # Each announcement queued its notification task on the bench's own Redis
        # database, where no worker runs: drop them rather than let them pile up.
        from ent.celery import app as celery_app

        celery_app.control.purge()
        idle_count = 100 if args.quick else args.idle
        log(f"{idle_count} idle sockets")
        held, before, after = asyncio.run(
            idle(url, origin, data["cookies"][data["teacher"].id], idle_count, server.pid)
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:  # still closing thousands of sockets: the figures are taken
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
    report = {
        "one_to_one": {
            "rounds": len(lat),
            "p50_ms": round(statistics.median(lat), 1),
            "p99_ms": round(percentile(lat, 99), 1),
        },
        "announcement": {
            "listeners": listeners,
            "rounds": len(ann),
            "p50_ms": round(statistics.median(ann), 1),
            "p99_ms": round(percentile(ann, 99), 1),
        },
        "idle": {
            "sockets": held,
            "rss_before_mb": round(before, 1),
            "rss_after_mb": round(after, 1),
            "kb_per_socket": round((after - before) * 1024 / max(held, 1), 1),
        },
        "goals": GOALS,
        "process": "one uvicorn process (ent.asgi), channels_redis",
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"1:1 send→receive: p50 {report['one_to_one']['p50_ms']} ms, p99 {report['one_to_one']['p99_ms']} ms "
            f"({len(lat)} messages)"
        )
        print(
            f"announcement to {listeners} sockets: p50 {report['announcement']['p50_ms']} ms, "
            f"p99 {report['announcement']['p99_ms']} ms ({len(ann)} announcements)"
        )
        print(f"{held} idle sockets: RSS {before:.0f} → {after:.0f} MB")


if __name__ == "__main__":
    main()
