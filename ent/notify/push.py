"""Live pushes to a person's open pages, through their `user-<id>` group."""

import asyncio
import atexit
import logging
import os
import threading

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count

from ent.notify.models import Notification

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


# Pushes are sent from sync code: web requests, Celery tasks and the socket's
# database threads, always after a commit. They must never hold up the caller
# (a web request thread, a socket's database thread) while Redis answers, or
# for seconds when it does not: each process hands them to one event loop of
# its own, in a thread, which sends them in order, with the layer's pooled
# connections (async_to_sync from a plain thread would start a loop and a new
# Redis connection for every push, ~10 ms). Only public asyncio and Channels
# APIs: the loop is ours, the layer is channels_redis as shipped.
QUEUE_SIZE = 10_000  # pushes waiting to leave; beyond it they are dropped (logged)


class _Pusher:
    def __init__(self):
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.queue = None
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), name="ent-push", daemon=True).start()
        ready.wait()

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        self.queue = asyncio.Queue(QUEUE_SIZE)
        self.loop.call_soon(ready.set)
        self.loop.run_until_complete(self._drain())

    async def _drain(self):
        while True:
            messages = await self.queue.get()
            try:
                layer = get_channel_layer()
                await asyncio.gather(*(layer.group_send(group, message) for group, message in messages.items()))
            except Exception:
                # A push is only a hint: clients catch up from the database.
                logger.warning("push to %d groups failed", len(messages), exc_info=True)
            finally:
                self.queue.task_done()

    def _put(self, messages):
        try:
            self.queue.put_nowait(messages)
        except asyncio.QueueFull:
            logger.warning("push queue full: %d groups dropped", len(messages))

    def submit(self, messages):
        self.loop.call_soon_threadsafe(self._put, messages)

    def wait(self, timeout):
        """Until every push handed over so far has left (tests, commands)."""
        asyncio.run_coroutine_threadsafe(self.queue.join(), self.loop).result(timeout)


_pusher: _Pusher | None = None
_pusher_lock = threading.Lock()


def _the_pusher() -> _Pusher:
    """This process's pusher, started on first use (and again in a forked child:
    a gunicorn or Celery worker does not inherit its parent's thread)."""
    global _pusher
    with _pusher_lock:
        if _pusher is None or _pusher.pid != os.getpid():
            _pusher = _Pusher()
        return _pusher


def wait_for_pushes(timeout: float = 5) -> None:
    """Block until the pushes handed over so far have been sent (or failed)."""
    if _pusher is not None and _pusher.pid == os.getpid():
        _pusher.wait(timeout)


# A command that pushes and exits (a management command, a script) gives its
# last pushes a moment to leave.
atexit.register(lambda: wait_for_pushes(2))


def send_to_groups(messages: dict) -> None:
    """Send `messages[group]` to each group, without waiting: with Redis the
    process's pusher sends them (failures are logged there: a push is only a
    hint)."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    if isinstance(layer, InMemoryChannelLayer):
        # No Redis configured: the in-memory layer's queues belong to the loop
        # that made them, so it is driven from the caller's context.
        async def send_each():
            for group, message in messages.items():
                await layer.group_send(group, message)

        async_to_sync(send_each)()
        return
    _the_pusher().submit(dict(messages))


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


def unread_keys(user_ids) -> list[str]:
    return [_unread_key(uid) for uid in set(user_ids)]


def forget_unread(user_ids) -> None:
    """Called by whatever creates or reads notifications, in its transaction:
    the counts are forgotten now and again once it commits (a reader between the
    two, still seeing the old rows, cannot keep what it counted)."""
    from ent.cache import delete_now_and_at_commit

    delete_now_and_at_commit(unread_keys(user_ids))


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
