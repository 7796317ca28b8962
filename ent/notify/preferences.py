"""What each person wants for a kind: their saved preference or the kind's
defaults, with the rules no preference can override (urgent kinds go at once,
some kinds cannot be turned off)."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Exists, FilteredRelation, OuterRef, Q, QuerySet

from ent.notify.kinds import Frequency, Kind
from ent.notify.models import ChildMute, NotificationSettings, Preference, WebPushSubscription

DEFAULT_QUIET_START = datetime.time(20, 0)
DEFAULT_QUIET_END = datetime.time(7, 0)


@dataclass(frozen=True)
class Effective:
    frequency: str
    email: bool
    sms: bool
    webpush: bool
    # What the person chose, before the rules (shown on the preferences page).
    chosen_frequency: str


def effective(kind: Kind, pref: Preference | None) -> Effective:
    if pref is None:
        # Push on by default: it only ever reaches a device where the person asked for it.
        chosen, email, sms, webpush = kind.default_frequency, kind.default_email, kind.default_sms, True
    else:
        chosen, email, sms, webpush = pref.frequency, pref.email, pref.sms, pref.webpush
    frequency = chosen
    if frequency == Frequency.OFF and not kind.can_be_turned_off:
        frequency = kind.default_frequency
    if kind.urgent:
        # Urgent kinds ignore digests: a digest at 18:00 is too late for an absence.
        frequency = Frequency.IMMEDIATELY
    return Effective(frequency=frequency, email=email, sms=sms, webpush=webpush, chosen_frequency=chosen)


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    phone: str
    # At least one device subscribed to push notifications (ent/notify/webpush.py).
    has_webpush: bool
    prefs: Effective
    muted: bool
    quiet_start: datetime.time
    quiet_end: datetime.time


def load_recipients(people, kind: Kind, child_id: int | None, *, with_devices: bool) -> list[Recipient]:
    """Everything routing needs for many people, in one query whatever their number:
    their current email and phone, their preference for this kind and quiet hours
    (LEFT JOINs: no row means the defaults), whether they muted it for this child,
    and, with_devices, whether a device of theirs takes pushes.

    people: user ids (the result keeps their order), or a queryset of users (run
    inside the query, in id order). Inactive people are left out."""
    User = get_user_model()
    is_query = isinstance(people, QuerySet)
    rows = User.objects.filter(id__in=people.values("pk") if is_query else people, is_active=True).annotate(
        # Preference is unique per (user, kind): at most one row joined per person.
        pref=FilteredRelation("notify_preferences", condition=Q(notify_preferences__kind=kind.code)),
    )
    extra = {}
    if child_id is not None and kind.can_be_turned_off:
        extra["muted"] = Exists(ChildMute.objects.filter(user_id=OuterRef("pk"), child_id=child_id, kind=kind.code))
    if with_devices:
        extra["has_webpush"] = Exists(WebPushSubscription.objects.filter(user_id=OuterRef("pk")))
    rows = rows.annotate(**extra).values(
        "id",
        "email",
        "phone",
        "pref__id",
        "pref__frequency",
        "pref__email",
        "pref__sms",
        "pref__webpush",
        "notify_settings__quiet_start",
        "notify_settings__quiet_end",
        *extra,
    )
    if is_query:
        rows = list(rows.order_by("id"))
    else:
        by_id = {row["id"]: row for row in rows}
        rows = [by_id[i] for i in people if i in by_id]
    result = []
    for row in rows:
        pref = None
        if row["pref__id"] is not None:
            pref = Preference(
                frequency=row["pref__frequency"],
                email=row["pref__email"],
                sms=row["pref__sms"],
                webpush=row["pref__webpush"],
            )
        has_settings = row["notify_settings__quiet_start"] is not None
        result.append(
            Recipient(
                user_id=row["id"],
                email=row["email"],
                phone=row["phone"],
                has_webpush=bool(row.get("has_webpush")),
                prefs=effective(kind, pref),
                muted=bool(row.get("muted")),
                quiet_start=row["notify_settings__quiet_start"] if has_settings else DEFAULT_QUIET_START,
                quiet_end=row["notify_settings__quiet_end"] if has_settings else DEFAULT_QUIET_END,
            )
        )
    return result


def quiet_hours(user_id):
    row = NotificationSettings.objects.filter(user_id=user_id).first()
    if row is None:
        return DEFAULT_QUIET_START, DEFAULT_QUIET_END
    return row.quiet_start, row.quiet_end
