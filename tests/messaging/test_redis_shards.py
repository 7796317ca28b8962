"""channels_redis over two Redis servers (its own sharding: several hosts in
CHANNEL_LAYERS, CHANNEL_REDIS_URLS in production): a second real redis-server is
started on a free port, people's sockets subscribe on whichever server their
group hashes to, and a push from sync code reaches every one of them."""

import asyncio
import shutil
import socket
import subprocess
import time

import pytest
import redis
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.conf import settings

from ent.notify import push
from tests.factories import make_user
from tests.messaging.socket_helpers import Socket

pytestmark = [
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real Redis)"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def second_redis(tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(10)


@pytest.fixture
def two_hosts(settings, second_redis):
    layer = dict(settings.CHANNEL_LAYERS["default"])
    layer["CONFIG"] = {**layer["CONFIG"], "hosts": [{"address": settings.REDIS_URL}, {"address": second_redis}]}
    settings.CHANNEL_LAYERS = {"default": layer}
    channel_layers.backends.clear()
    yield [settings.REDIS_URL, second_redis]
    push.wait_for_pushes(5)
    channel_layers.backends.clear()


def _group_channels(url):
    return {c.decode() for c in redis.Redis.from_url(url).pubsub_channels("*__group__user-*")}


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_push_reaches_sockets_on_either_host(two_hosts):
    people = [await database_sync_to_async(make_user)() for _ in range(12)]
    sockets = [await Socket.open(person) for person in people]
    try:
        # The handshake is accepted before the socket joins its groups, and a
        # SUBSCRIBE is only sent, not confirmed, when group_add returns: a push
        # published before the server has the subscription is missed (pages catch
        # up from the database). So wait for what each socket sends once joined,
        # then for both servers to list every person's group.
        for sock in sockets:
            await sock.wait_for(lambda f: f.get("type") == "unread", timeout=10)
        wanted = {push.user_group(p.id) for p in people}
        deadline = time.monotonic() + 10
        while True:
            on_each = [_group_channels(url) for url in two_hosts]
            if {c.rsplit("__group__", 1)[-1] for c in on_each[0] | on_each[1]} >= wanted:
                break
            assert time.monotonic() < deadline, (wanted, on_each)
            await asyncio.sleep(0.02)
        # Both servers hold some of the people's groups (12 groups: the chance
        # that all hash to one of two hosts is 2 in 4,096).
        assert all(on_each), on_each
        assert not on_each[0] & on_each[1]
        push.send_to_groups(
            {
                push.user_group(p.id): {"type": "socket.send", "payload": {"type": "shard.test", "to": p.id}}
                for p in people
            }
        )
        for person, sock in zip(people, sockets, strict=True):
            frame = await sock.wait_for(lambda f: f.get("type") == "shard.test", timeout=10)
            assert frame["to"] == person.id
    finally:
        for sock in sockets:
            await sock.close()
