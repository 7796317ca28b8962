"""The Redis cache is django-redis as shipped (ent/cache.py): one client kept
per pool, and a Redis outage reads as a miss and writes as a no-op."""

import pytest
from django.conf import settings
from django.core.cache import caches
from django_redis.cache import RedisCache

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real Redis)")


def test_the_client_is_kept_between_calls():
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    assert cache.client.get_client(write=True) is cache.client.get_client(write=True)


def test_an_outage_is_a_miss_not_an_error(caplog):
    down = RedisCache(
        "redis://127.0.0.1:1/0",
        {"OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2}},
    )
    assert down.get("k", "default") == "default"
    assert down.get_many(["a", "b"]) == {}
    down.set("k", 1)
    down.delete_many(["a"])
    assert not down.add("k", 1)
