"""What goes over the WebSocket: message payloads, unread counts, and pushes sent
on commit to the per-person groups of the project socket (ent.notify.push.user_group).

A push is only ever a hint: the database is written first, the push leaves on
commit, and a client that missed it (full channel, closed tab) catches up from
the database with the last message id it saw (messages_since).
"""

import logging

from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from ent import dates
from ent.notify import push
from ent.pagecache import bump_after_commit
from messaging import pagescopes
from messaging.models import Message, Participant

log = logging.getLogger(__name__)

CATCH_UP_LIMIT = 200


def push_on_commit(payloads: dict) -> None:
    """payloads: user id -> JSON-able dict. Sent once the transaction commits."""
    if not payloads:
        return
    # Whoever gets a push has an inbox that changed: its cached page too.
    bump_after_commit(pagescopes.bump_people, list(payloads))
    transaction.on_commit(lambda: send_now(payloads))


def send_now(payloads: dict) -> None:
    try:
        push.send_to_groups(
            {push.user_group(uid): {"type": "socket.send", "payload": payload} for uid, payload in payloads.items()}
        )
    except Exception as exc:  # a push is a hint: the data is already committed
        log.warning("messaging push failed: %s", exc)


def serialize_message(message: Message, author_name: str | None = None) -> dict:
    created = timezone.localtime(message.created_at)
    hidden = message.is_hidden
    return {
        "id": message.id,
        "conversation": message.conversation_id,
        "author": {"id": message.author_id, "name": author_name or str(message.author)},
        "html": "" if hidden else message.html,
        "hidden": message.hidden,
        "edited": message.edited_at is not None,
        "created_at": created.isoformat(),
        "created_label": dates.moment(created),
        "attachments": []
        if hidden
        else [
            {"id": a.id, "name": a.filename, "url": reverse("messaging:attachment", args=[a.id]), "scan": a.scan}
            for a in message.attachments.all()
        ],
    }


def unread_q(user_field="user"):
    """Messages after the participant's last read one, written by someone else, not hidden."""
    return Q(
        conversation__messages__id__gt=F("last_read_id"),
        conversation__messages__hidden="",
    ) & ~Q(conversation__messages__author_id=F(f"{user_field}_id"))


def unread_totals(user_ids) -> dict:
    """user id -> unread messages over all their non-archived conversations, one query."""
    rows = (
        Participant.objects.filter(user_id__in=list(user_ids))
        .values("user_id")
        .annotate(n=Count("conversation__messages", filter=unread_q()))
    )
    totals = dict.fromkeys(user_ids, 0)
    for row in rows:
        totals[row["user_id"]] = row["n"]
    return totals


def messages_since(user, after_id: int, limit: int = CATCH_UP_LIMIT) -> tuple[list[dict], bool]:
    """What a reconnecting client missed: messages of its conversations with an id
    above the last it saw, oldest first; `more` says to ask again."""
    rows = list(
        Message.objects.visible_to(user)
        .filter(id__gt=after_id)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("id")[: limit + 1]
    )
    more = len(rows) > limit
    return [serialize_message(m) for m in rows[:limit]], more
