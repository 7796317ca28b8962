"""The cache's one helper of our own; the Redis backend itself is django-redis
as shipped (settings.CACHES).

Why django-redis rather than Django's RedisCache: Django's backend builds a new
redis-py client for every cache call (redis-py spends ~0.2 ms of CPU in its
constructor, several calls per request), and raises on a Redis outage. django-redis
keeps one client per connection pool and, with OPTIONS["IGNORE_EXCEPTIONS"],
treats an outage as a miss (reads) or a no-op (writes), logged here (logger
"ent.cache"). Sessions are cached_db, so they still live in the database; the
price, stated in SECURITY.md: while Redis is down, login rate limits do not count.
"""

from django.core.cache import cache
from django.db import transaction


def delete_now_and_at_commit(keys) -> None:
    """Delete cache entries that a write makes stale, right away and again once
    the current transaction commits: a reader between the two, still seeing the
    old rows, cannot keep what it stored (ent/pagecache.py, the cached user)."""
    keys = list(keys)
    if not keys:
        return
    cache.delete_many(keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: cache.delete_many(keys))
