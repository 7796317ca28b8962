"""Live pushes to a person's open pages, through their `user-<id>` group."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count

from ent.notify.models import Notification

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


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
    if not user_ids:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    counts = unread_counts(user_ids)

    async def send_all():
        for uid in user_ids:
            await layer.group_send(user_group(uid), {"type": "notify.unread", "count": counts.get(uid, 0)})

    try:
        async_to_sync(send_all)()
    except Exception:
        logger.warning("unread count push failed for %d people", len(user_ids), exc_info=True)
