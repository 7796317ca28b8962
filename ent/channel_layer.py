"""channels_redis's layer with one addition: a send to many groups at once.

Why: an announcement pushes to every family of a class, one group per person
(`user-<id>`, messaging/live.py). channels_redis's `group_send` makes four
round trips per group (drop expired members, read the members, drop expired
messages, push), one group after the other: ~1 ms each, 50-60 ms for a class
(the benchmark's announcement to 30 sockets). `group_send_many` does the same
work for every group in two round trips per Redis host: one pipeline that reads
all the groups' members, one that drops expired messages and pushes to every
channel with the same Lua script.

It relies on channels_redis's key layout and helpers (`_group_key`,
`consistent_hash`, `get_capacity`, `serialize`), pinned in requirements.txt;
tests/messaging/test_channel_layer.py checks it against a real Redis.
"""

import asyncio
import time
from collections import defaultdict

import msgpack
from channels_redis.core import RedisChannelLayer

# channels_redis's own group_send script: push each message unless its channel
# is at capacity; returns how many were over.
_PUSH_LUA = """
local over_capacity = 0
local current_time = ARGV[#ARGV - 1]
local expiry = ARGV[#ARGV]
for i=1,#KEYS do
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + #KEYS]) then
        redis.call('ZADD', KEYS[i], current_time, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""


def _identity(message: dict) -> bytes:
    """Equal messages get equal bytes (every family of an announcement gets the
    same payload, each in its own dict)."""
    return msgpack.packb(message, use_bin_type=True)


class ChannelLayer(RedisChannelLayer):
    async def close_pools(self):
        """Close each event loop's connections on that loop. channels_redis closes
        them all from the caller's loop, which fails for the process's push loop
        (ent.notify.push) as soon as a push has used it."""
        await self.wait_received()
        current = asyncio.get_running_loop()
        for loop, layer in list(self._layers.items()):
            if loop is current:
                await layer.flush()
            elif loop.is_running():
                await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(layer.flush(), loop))

    async def group_send_many(self, messages: dict) -> int:
        """Send `messages[group]` to every channel of each group. Returns how
        many channels were full (their message dropped, as group_send does)."""
        groups_by_host = defaultdict(list)
        for group in messages:
            assert self.require_valid_group_name(group), "Group name not valid"
            groups_by_host[self.consistent_hash(group)].append(group)
        now = int(time.time())
        # (channel key, message identity) -> (name, channels, message); then
        # (channel key, serialized message, capacity) by the host of the channel.
        entries = {}
        pushes = defaultdict(list)
        for index, groups in groups_by_host.items():
            pipe = self.connection(index).pipeline(transaction=False)
            for group in groups:
                key = self._group_key(group)
                pipe.zremrangebyscore(key, min=0, max=now - self.group_expiry)
                pipe.zrange(key, 0, -1)
            replies = await pipe.execute()
            for group, members in zip(groups, replies[1::2], strict=True):
                identity = _identity(messages[group]) if members else None
                for raw in members:
                    channel = raw.decode("utf8")
                    if "!" in channel:
                        # A process's own channels share one key: one copy of
                        # a message for all of them, listed in __asgi_channel__
                        # (channels_redis's receive hands it to each). An
                        # announcement to 30 parents served by one socket process
                        # is one Redis entry and one receive, not thirty.
                        name = self.non_local_name(channel)
                        merge = (self.prefix + name, identity)
                    else:
                        name = channel
                        merge = (self.prefix + name, group)
                    if merge in entries:
                        entries[merge][1].append(channel)
                    else:
                        entries[merge] = (name, [channel], messages[group])
        for (key, _), (name, channels, message) in entries.items():
            push = (key, self.serialize({**message, "__asgi_channel__": channels}), self.get_capacity(channels[0]))
            pushes[self.consistent_hash(name)].append(push)
        over = 0
        for index, items in pushes.items():
            keys = [k for k, _, _ in items]
            pipe = self.connection(index).pipeline(transaction=False)
            for key in keys:
                pipe.zremrangebyscore(key, min=0, max=now - int(self.expiry))
            args = [m for _, m, _ in items] + [c for _, _, c in items] + [time.time(), self.expiry]
            pipe.eval(_PUSH_LUA, len(keys), *keys, *args)
            over += (await pipe.execute())[-1]
        return over
