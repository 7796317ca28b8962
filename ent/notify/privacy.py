"""Notifications' part of a person's data export and of the retention purges
(hooks called by ent.directory.privacy; see its docstring for the contract).

Export: for the person and each child linked to them, the notifications they
received (what they said, in words, when, when read), each one's sending by
email or SMS (channel, state, when, and the gateway's error if any), and their
settings: quiet hours, per-kind preferences, children muted per kind. A
notification sent to someone else (the other parent) is never read, even when it
is about the same child.

Purge:
- notifications (and their deliveries) older than the log retention
  (RETENTION_LOGS, twelve months): the feed is a record of what was said, not
  the thing itself, which stays in its own app;
- the error text of finished deliveries after DELIVERY_ERROR_DAYS: it is free
  text from an SMTP server or SMS gateway and can hold an address or a number;
- preferences, quiet hours and mutes are kept with the account (deleted with it).
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.template import TemplateDoesNotExist
from django.utils import timezone

from ent.notify import pagescopes, rendering
from ent.notify.kinds import KINDS
from ent.notify.models import ChildMute, Delivery, Notification, NotificationSettings, Preference
from ent.pagecache import bump_after_commit

log = logging.getLogger(__name__)

DELIVERY_ERROR_DAYS = 30


def _iso(value):
    return value.isoformat() if value else None


def _words(notification) -> dict:
    kind = KINDS.get(notification.kind)
    try:
        rendered = rendering.render(notification)
        title, text = rendered.subject, rendered.text
    except TemplateDoesNotExist:
        # A kind retired since: its code is still what it was about.
        title, text = notification.kind, ""
    return {"kind": str(kind.label) if kind else notification.kind, "title": title, "text": text}


def _person_data(person) -> dict:
    notifications = (
        Notification.objects.filter(recipient=person)
        .select_related("recipient", "child")
        .prefetch_related("deliveries")
        .order_by("created_at", "id")
    )
    quiet = NotificationSettings.objects.filter(user=person).first()
    return {
        "notifications": [
            {
                **_words(n),
                "created_at": _iso(n.created_at),
                "read_at": _iso(n.read_at),
                "link": n.url,
                "deliveries": [
                    {
                        "channel": d.get_channel_display(),
                        "mode": d.get_mode_display(),
                        "status": d.get_status_display(),
                        "sent_at": _iso(d.sent_at),
                        "error": d.error,
                    }
                    for d in sorted(n.deliveries.all(), key=lambda d: (d.created_at, d.pk))
                ],
            }
            for n in notifications
        ],
        "settings": {
            "quiet_start": quiet.quiet_start.strftime("%H:%M") if quiet else None,
            "quiet_end": quiet.quiet_end.strftime("%H:%M") if quiet else None,
        },
        "preferences": [
            {
                "kind": str(KINDS[p.kind].label) if p.kind in KINDS else p.kind,
                "frequency": p.get_frequency_display(),
                "by_email": p.email,
                "by_sms": p.sms,
                "by_push": p.webpush,
            }
            for p in Preference.objects.filter(user=person).order_by("kind")
        ],
        "muted": [
            {"kind": str(KINDS[m.kind].label) if m.kind in KINDS else m.kind, "for": m.child.get_full_name()}
            for m in ChildMute.objects.filter(user=person).select_related("child").order_by("kind", "child_id")
        ],
    }


def export(user, children) -> dict:
    return {
        **_person_data(user),
        "children": [
            {"username": child.username, "name": child.get_full_name(), **_person_data(child)} for child in children
        ],
    }


def purge(cutoff, dry_run) -> int:
    """Delete notifications older than `cutoff` (their deliveries go with them) and
    blank the errors of deliveries finished DELIVERY_ERROR_DAYS ago. Idempotent."""
    old = Notification.objects.filter(created_at__lt=cutoff)
    errors = Delivery.objects.filter(
        status__in=[Delivery.Status.SENT, Delivery.Status.FAILED],
        created_at__lt=timezone.now() - timedelta(days=DELIVERY_ERROR_DAYS),
    ).exclude(error="")
    count = old.count() + errors.exclude(notification__created_at__lt=cutoff).count()
    if not dry_run and count:
        with transaction.atomic():
            errors.update(error="")
            # An old unread notification counts in its reader's badge: forget it.
            unread_of = set(old.filter(read_at__isnull=True).values_list("recipient_id", flat=True))
            old.delete()
            bump_after_commit(pagescopes.bump_recipients, unread_of)
    log.info("purge notifications%s: %s", " (dry run)" if dry_run else "", count)
    return count
