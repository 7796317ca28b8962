"""ent.channel_layer.ChannelLayer.group_send_many against a real Redis: the
same deliveries as one channels_redis group_send per group, in two round trips."""

import asyncio
import secrets

import pytest
from django.conf import settings

from ent.channel_layer import ChannelLayer

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real Redis)"),
]


def make_layer(**config):
    # A prefix of its own: nothing of another test or run is in its groups.
    return ChannelLayer(hosts=[settings.REDIS_URL], prefix=f"test-{secrets.token_hex(4)}", **config)


async def receive(layer, channel):
    return await asyncio.wait_for(layer.receive(channel), timeout=2)


async def assert_empty(layer, channel):
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(channel), timeout=0.3)


async def test_each_group_gets_its_own_message_on_every_channel():
    layer = make_layer()
    a, b, c, d = [await layer.new_channel() for _ in range(4)]
    await layer.group_add("user-1", a)
    await layer.group_add("user-1", b)
    await layer.group_add("user-2", c)
    over = await layer.group_send_many(
        {
            "user-1": {"type": "socket.send", "payload": {"n": 1}},
            "user-2": {"type": "socket.send", "payload": {"n": 2}},
            "user-3": {"type": "socket.send", "payload": {"n": 3}},  # nobody connected
        }
    )
    assert over == 0
    assert (await receive(layer, a))["payload"] == {"n": 1}
    assert (await receive(layer, b))["payload"] == {"n": 1}
    assert (await receive(layer, c))["payload"] == {"n": 2}
    await assert_empty(layer, d)
    await assert_empty(layer, a)
    await layer.flush()


async def test_a_channel_in_two_groups_gets_both_messages():
    layer = make_layer()
    channel = await layer.new_channel()
    await layer.group_add("user-1", channel)
    await layer.group_add("class-9", channel)
    await layer.group_send_many({"user-1": {"type": "x", "n": 1}, "class-9": {"type": "x", "n": 2}})
    got = {(await receive(layer, channel))["n"], (await receive(layer, channel))["n"]}
    assert got == {1, 2}
    await layer.flush()


async def test_a_full_channel_drops_the_push_and_is_counted():
    layer = make_layer(capacity=1)
    # Plain channel names: a process's own channels ("specific.<id>!...") share
    # one Redis key, and so one capacity.
    full, free = "socket.full", "socket.free"
    await layer.group_add("user-1", full)
    await layer.group_add("user-2", free)
    await layer.send(full, {"type": "x", "n": 0})
    over = await layer.group_send_many({"user-1": {"type": "x", "n": 1}, "user-2": {"type": "x", "n": 2}})
    assert over == 1
    assert (await receive(layer, full))["n"] == 0
    await assert_empty(layer, full)
    assert (await receive(layer, free))["n"] == 2
    await layer.flush()


async def test_a_process_local_channel_is_reached_through_its_process_key():
    # Consumers' channels are "specific.<id>!<suffix>": one Redis key per process.
    layer = make_layer()
    first, second = await layer.new_channel(), await layer.new_channel()
    assert "!" in first
    await layer.group_add("user-1", first)
    await layer.group_add("user-1", second)
    await layer.group_send_many({"user-1": {"type": "x", "n": 1}})
    assert (await receive(layer, first))["n"] == 1
    assert (await receive(layer, second))["n"] == 1
    await layer.flush()


async def test_an_invalid_group_name_is_refused_before_anything_is_sent():
    layer = make_layer()
    channel = await layer.new_channel()
    await layer.group_add("user-1", channel)
    with pytest.raises((AssertionError, TypeError)):
        await layer.group_send_many({"user-1": {"type": "x"}, "not valid!": {"type": "x"}})
    await assert_empty(layer, channel)
    await layer.flush()


async def test_one_message_for_many_groups_is_one_entry_on_the_process_key():
    # Every family of an announcement gets the same payload: the socket process
    # takes it off Redis once and hands it to each of its channels.
    layer = make_layer()
    channels = [await layer.new_channel() for _ in range(5)]
    for number, channel in enumerate(channels):
        await layer.group_add(f"user-{number}", channel)
    await layer.group_add("user-0", channels[1])  # a second tab of user-0
    same = {"type": "socket.send", "payload": {"announcement": 7}}
    messages = {f"user-{number}": dict(same) for number in range(5)}
    messages["user-4"] = {"type": "socket.send", "payload": {"announcement": 8}}
    assert await layer.group_send_many(messages) == 0

    process_key = layer.prefix + layer.non_local_name(channels[0])
    assert await layer.connection(0).zcard(process_key) == 2  # one per distinct payload
    assert (await receive(layer, channels[0]))["payload"] == {"announcement": 7}
    # user-0's second tab is channels[1]: it gets user-0's copy and user-1's.
    assert [(await receive(layer, channels[1]))["payload"] for _ in range(2)] == [{"announcement": 7}] * 2
    assert (await receive(layer, channels[2]))["payload"] == {"announcement": 7}
    assert (await receive(layer, channels[3]))["payload"] == {"announcement": 7}
    assert (await receive(layer, channels[4]))["payload"] == {"announcement": 8}
    for channel in channels:
        await assert_empty(layer, channel)
    await layer.flush()
