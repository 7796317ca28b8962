"""Pushes from sync code (web requests, tasks, socket threads) go through one
long-lived event loop per process (ent.notify.push), with the Redis layer's
pooled connections, and arrive."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from ent.notify import push
from messaging import live

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real Redis)")


def _listen(group):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return layer, channel


def test_pushes_share_one_loop_and_arrive_in_order():
    layer, channel = _listen("user-990001")
    push.send_to_groups({"user-990001": {"type": "socket.send", "n": 1}})
    loop = push._loop()
    push.send_to_groups({"user-990001": {"type": "socket.send", "n": 2}})
    assert push._loop() is loop and loop.is_running()

    async def both():
        return [(await layer.receive(channel))["n"] for _ in range(2)]

    assert async_to_sync(both)() == [1, 2]


def test_a_forked_process_starts_its_own_loop(monkeypatch):
    first = push._loop()
    monkeypatch.setattr(push.os, "getpid", lambda: -1)  # as in a gunicorn or Celery child
    second = push._loop()
    assert second is not first and second.is_running()
    layer, channel = _listen("user-990002")
    push.send_to_groups({"user-990002": {"type": "socket.send", "n": 3}})
    assert async_to_sync(layer.receive)(channel)["n"] == 3


def test_a_failed_push_is_logged_not_raised(monkeypatch, caplog):
    layer = get_channel_layer()

    async def broken(messages):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(layer, "group_send_many", broken)
    live.send_now({990003: {"type": "messaging.message"}})  # the data is committed: no error to the caller
    assert "messaging push failed" in caplog.text
