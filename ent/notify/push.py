"""Live pushes to a person's open pages, through their `user-<id>` group."""

import asyncio
import logging
import os
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count

from ent.notify.models import Notification

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


# Pushes are sent from sync code: web requests, Celery tasks and the socket's
# database threads. async_to_sync from a plain thread starts an event loop per
# call, where channels_redis has no pooled connection yet: ~10 ms per push from a
# web process (the benchmark's announcements). Each process instead keeps one
# event loop in a thread of its own for pushes, with its pooled connections.
PUSH_TIMEOUT = 5
_push_loop: tuple[int, asyncio.AbstractEventLoop] | None = None
_push_loop_lock = threading.Lock()


def _loop() -> asyncio.AbstractEventLoop:
    """This process's push loop, started on first use (and again in a forked child)."""
    global _push_loop
    with _push_loop_lock:
        if _push_loop is None or _push_loop[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="ent-push-loop", daemon=True).start()
            _push_loop = (os.getpid(), loop)
        return _push_loop[1]


def _outer_loop():
    """The event loop of the async code that called this thread through
    sync_to_async, if any: where async_to_sync would run a coroutine (asgiref
    keeps it in SyncToAsync.threadlocal)."""
    from asgiref.sync import SyncToAsync

    local = SyncToAsync.threadlocal
    if getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(local, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


def send_to_groups(messages: dict) -> None:
    """Send `messages[group]` to each group; raises if the layer fails (callers
    log it: a push is only a hint). With Redis, every group in two round trips
    (ent/channel_layer.py) on the process's push loop."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    if hasattr(layer, "group_send_many"):
        if _outer_loop() is not None:
            # A socket's database thread (ASGI process): its server's own loop
            # is awake and pooled; a second loop thread would only wait for the GIL.
            async_to_sync(layer.group_send_many)(messages)
        else:
            future = asyncio.run_coroutine_threadsafe(layer.group_send_many(messages), _loop())
            future.result(timeout=PUSH_TIMEOUT)
        return

    # The in-memory layer (no Redis configured): its queues belong to the loop
    # that made them, so it is driven from the caller's context.
    async def send_each():
        for group, message in messages.items():
            await layer.group_send(group, message)

    async_to_sync(send_each)()


def _unread_key(user_id) -> str:
    return f"notify:unread:{user_id}"


def unread_count(user) -> int:
    """The badge of every page: read from the cache (one Redis GET instead of a
    query on each page), forgotten when the person's notifications change.
    settings.NOTIFY_UNREAD_CACHE_SECONDS bounds how stale it can be if a change
    slipped past forget_unread (0: no cache, as in the tests that pin query counts)."""
    ttl = settings.NOTIFY_UNREAD_CACHE_SECONDS
    key = _unread_key(user.pk)
    count = cache.get(key) if ttl else None
    if count is None:
        count = Notification.objects.visible_to(user).unread().count()
        if ttl:
            cache.set(key, count, ttl)
    return count


def forget_unread(user_ids) -> None:
    """Called after commit by whatever creates or reads notifications."""
    cache.delete_many([_unread_key(uid) for uid in set(user_ids)])


def unread_counts(user_ids) -> dict[int, int]:
    rows = (
        Notification.objects.filter(recipient_id__in=user_ids, read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["recipient_id"]: row["n"] for row in rows}


def push_unread_counts(user_ids) -> None:
    """Send each person their current unread count. Best effort: a page that misses
    a push gets the count again when its socket reconnects."""
    user_ids = list(dict.fromkeys(user_ids))
    if not user_ids or get_channel_layer() is None:
        return
    counts = unread_counts(user_ids)
    try:
        send_to_groups({user_group(uid): {"type": "notify.unread", "count": counts.get(uid, 0)} for uid in user_ids})
    except Exception:
        logger.warning("unread count push failed for %d people", len(user_ids), exc_info=True)
