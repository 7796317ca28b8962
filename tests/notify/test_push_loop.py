"""Pushes from sync code (web requests, tasks, socket threads) are handed to the
process's pusher (ent.notify.push): the caller never waits for Redis, the pushes
arrive in order, and a failure is logged, not raised."""

import asyncio
import time

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

from ent.notify import push
from messaging import live

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real Redis)")


async def _listen(group):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return layer, channel


@pytest.mark.asyncio
async def test_pushes_arrive_in_order():
    layer, channel = await _listen("user-990001")
    for n in range(1, 6):
        push.send_to_groups({"user-990001": {"type": "socket.send", "n": n}})
    got = [(await asyncio.wait_for(layer.receive(channel), 5))["n"] for _ in range(5)]
    assert got == [1, 2, 3, 4, 5]


@pytest.mark.asyncio
async def test_a_forked_process_starts_its_own_pusher(monkeypatch):
    push.send_to_groups({"user-990009": {"type": "socket.send"}})
    first = push._the_pusher()
    monkeypatch.setattr(push.os, "getpid", lambda: -1)  # as in a gunicorn or Celery child
    second = push._the_pusher()
    assert second is not first
    layer, channel = await _listen("user-990002")
    push.send_to_groups({"user-990002": {"type": "socket.send", "n": 3}})
    assert (await asyncio.wait_for(layer.receive(channel), 5))["n"] == 3


def test_the_caller_does_not_wait_for_redis(monkeypatch):
    """A push to a Redis that hangs: send_to_groups returns at once."""

    class Hanging:
        async def group_send(self, group, message):
            await asyncio.sleep(0.5)

    monkeypatch.setattr(push, "get_channel_layer", lambda: Hanging())
    started = time.monotonic()
    push.send_to_groups({f"user-{i}": {"type": "socket.send"} for i in range(50)})
    assert time.monotonic() - started < 0.1


def test_a_failed_push_is_logged_not_raised(monkeypatch, caplog):
    class Broken:
        async def group_send(self, group, message):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(push, "get_channel_layer", lambda: Broken())
    live.send_now({990003: {"type": "messaging.message"}})  # the data is committed: no error to the caller
    push.wait_for_pushes(5)
    assert "push to 1 groups failed" in caplog.text
