"""Live pushes to a person's open pages, through their `user-<id>` group."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db.models import Count

from ent.notify.models import Notification

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def unread_count(user) -> int:
    return Notification.objects.visible_to(user).unread().count()


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
