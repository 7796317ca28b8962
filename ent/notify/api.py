"""The one way to tell a person something.

    from ent.notify.api import notify
    notify(parents, "absence.unexplained", child=pupil, obj=absence,
           context={"date": absence.date, "half_day": "am", "url": absence_url})

Call it inside the action's transaction: the notifications are rows written in
that transaction (a rollback leaves nothing), and emails, SMS and the live
unread count leave only once it commits.
"""

import datetime
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise

from ent.celery import queue
from ent.notify import pagescopes, schedule, webpush
from ent.notify.kinds import Frequency, get_kind
from ent.notify.models import Delivery, Notification
from ent.notify.preferences import load_recipients
from ent.pagecache import bump_after_commit

_MODE_OF = {
    Frequency.IMMEDIATELY: Delivery.Mode.IMMEDIATE,
    Frequency.DAILY: Delivery.Mode.DAILY,
    Frequency.WEEKLY: Delivery.Mode.WEEKLY,
}


def notify(recipients, kind: str, *, obj=None, child=None, context: dict | None = None) -> None:
    """Record one notification per recipient (users, user ids, or a queryset of
    users: read inside the one query of the people) and schedule its deliveries.
    Recipients who turned the kind off, or muted it for this child, get nothing;
    kinds that cannot be turned off reach everyone."""
    info = get_kind(kind)
    context = dict(context or {})
    stored_context = encode_context(context)
    url = _safe_url(context.get("url"))
    child_id = getattr(child, "pk", child)
    people = _people(recipients)
    if not isinstance(people, QuerySet) and not people:
        return
    now = timezone.now()
    content_type, object_id = (ContentType.objects.get_for_model(obj), obj.pk) if obj is not None else (None, None)

    notifications, plans = [], []
    for r in load_recipients(people, info, child_id, with_devices=webpush.enabled()):
        if info.can_be_turned_off and (r.prefs.frequency == Frequency.OFF or r.muted):
            continue
        notifications.append(
            Notification(
                recipient_id=r.user_id,
                kind=info.code,
                child_id=child_id,
                content_type=content_type,
                object_id=object_id,
                url=url,
                context=stored_context,
                created_at=now,
            )
        )
        plans.append(r)
    if not notifications:
        return
    Notification.objects.bulk_create(notifications)

    deliveries = []
    due_times = {}  # most people share the default quiet hours: one computation for them all
    for notification, r in zip(notifications, plans, strict=True):
        mode = _MODE_OF[r.prefs.frequency]
        window = (mode, r.quiet_start, r.quiet_end)
        if window not in due_times:
            due_times[window] = schedule.due_at(
                now, mode, urgent=info.urgent, quiet_start=r.quiet_start, quiet_end=r.quiet_end
            )
        due = due_times[window]
        if r.prefs.email and r.email:
            deliveries.append(
                Delivery(notification=notification, channel=Delivery.Channel.EMAIL, mode=mode, due_at=due)
            )
        # A digest is an email; an SMS only ever carries one urgent or immediate message.
        if r.prefs.sms and r.phone and mode == Delivery.Mode.IMMEDIATE:
            deliveries.append(Delivery(notification=notification, channel=Delivery.Channel.SMS, mode=mode, due_at=due))
        # A push, like an SMS, carries one message, never a digest; the same due time
        # keeps it to the person's quiet hours and out of the night.
        if r.prefs.webpush and r.has_webpush and mode == Delivery.Mode.IMMEDIATE:
            deliveries.append(
                Delivery(notification=notification, channel=Delivery.Channel.WEBPUSH, mode=mode, due_at=due)
            )
    Delivery.objects.bulk_create(deliveries)

    from ent.notify import tasks

    due_now = [d.id for d in deliveries if d.mode == Delivery.Mode.IMMEDIATE and d.due_at <= now]
    user_ids = [n.recipient_id for n in notifications]
    # Commit hooks run in the order they are added: the deliveries (pushes, SMS)
    # leave first, the badges' cache versions and counts follow (issue #23).
    if due_now:
        transaction.on_commit(lambda: queue(tasks.deliver_many, due_now, catch_up="notify.release_due"))
    # The badge is in every cached page, its count cached apart.
    bump_after_commit(pagescopes.bump_recipients, user_ids)
    transaction.on_commit(lambda: queue(tasks.push_unread, user_ids, catch_up="the next page load"))


def _safe_url(url) -> str:
    """A link shown in the feed and emails: a path on this site or an http(s) URL,
    never javascript: or a protocol-relative //host."""
    url = str(url or "")
    if not url:
        return ""
    if len(url) > 500 or not (
        (url.startswith("/") and not url.startswith("//")) or url.startswith(("https://", "http://"))
    ):
        raise ValueError(f"notify() url must be a path or an http(s) URL of at most 500 characters, got {url[:80]!r}")
    return url


def _people(recipients):
    """User ids in the caller's order, without repeats; a queryset of users stays
    a queryset, read inside load_recipients' one query (no round trip of its own)."""
    User = get_user_model()
    if isinstance(recipients, QuerySet) and recipients.model is User:
        return recipients
    if isinstance(recipients, User | int):
        recipients = [recipients]
    if not isinstance(recipients, Iterable):
        raise TypeError("recipients must be users, user ids, a queryset or a list of them")
    # Re-read by load_recipients: callers may pass ids, and email/phone must be the current ones.
    return list(dict.fromkeys(r if isinstance(r, int) else r.pk for r in recipients))


# Context is stored as JSON and rendered later, in the reader's language: dates
# keep their type so templates can format them.
def encode_context(context: dict) -> dict:
    return {str(k): _encode(v) for k, v in context.items()}


def _encode(value):
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"notify() context values must be plain data, got {type(value).__name__}")


def decode_context(stored: dict) -> dict:
    return {k: _decode(v) for k, v in (stored or {}).items()}


def _decode(value):
    if isinstance(value, dict):
        if set(value) == {"$datetime"}:
            return datetime.datetime.fromisoformat(value["$datetime"])
        if set(value) == {"$date"}:
            return datetime.date.fromisoformat(value["$date"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
