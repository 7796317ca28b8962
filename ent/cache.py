"""Django's Redis cache, failing soft.

With REDIS_URL, sessions are cached_db and allauth counts rate limits in the
cache. A Redis outage must not turn every logged-in page into a 500: sessions
still live in the database, so a cache error is logged and treated as a miss
(reads) or a no-op (writes). The price, stated in SECURITY.md: while Redis is
down, login rate limits do not count.
"""

import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


def _soft(method_name, fallback):
    parent = getattr(RedisCache, method_name)

    def method(self, *args, **kwargs):
        try:
            return parent(self, *args, **kwargs)
        except RedisError as exc:
            log.warning("cache %s failed, Redis unavailable: %s", method_name, exc)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    method.__name__ = method_name
    return method


class _SharedClientCacheClient(RedisCacheClient):
    """Django builds a new redis.Redis object for every cache call; redis-py 5
    spends ~0.3 ms of CPU in its constructor (it rebuilds the table of command
    callbacks), about a fifth of a cached page's cost (three calls). A client is
    thread-safe over its pool: build one per pool and keep it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # pool index -> client

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


def delete_now_and_at_commit(keys) -> None:
    """Delete cache entries that a write makes stale, right away and again once
    the current transaction commits: a reader between the two, still seeing the
    old rows, cannot keep what it stored (ent/pagecache.py, the cached user)."""
    from django.core.cache import cache
    from django.db import transaction

    keys = list(keys)
    if not keys:
        return
    cache.delete_many(keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: cache.delete_many(keys))


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _SharedClientCacheClient

    get = _soft("get", lambda key, default=None, version=None: default)
    set = _soft("set", None)
    add = _soft("add", False)
    touch = _soft("touch", False)
    delete = _soft("delete", False)
    get_many = _soft("get_many", lambda keys, version=None: {})
    has_key = _soft("has_key", False)
    set_many = _soft("set_many", lambda data, *args, **kwargs: list(data))
    delete_many = _soft("delete_many", None)
    clear = _soft("clear", False)
    # incr raises ValueError on a missing key; an outage reads as "missing".
    incr = _soft("incr", None)
