"""What each person wants for a kind: their saved preference or the kind's
defaults, with the rules no preference can override (urgent kinds go at once,
some kinds cannot be turned off)."""

import datetime
from dataclasses import dataclass

from ent.notify.kinds import Frequency, Kind
from ent.notify.models import ChildMute, NotificationSettings, Preference

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


def load_recipients(users, kind: Kind, child_id: int | None) -> list[Recipient]:
    """Everything routing needs for many recipients, in three queries whatever their number."""
    ids = [u.id for u in users]
    prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=ids, kind=kind.code)}
    muted = set()
    if child_id is not None and kind.can_be_turned_off:
        muted = set(
            ChildMute.objects.filter(user_id__in=ids, child_id=child_id, kind=kind.code).values_list(
                "user_id", flat=True
            )
        )
    quiet = {s.user_id: (s.quiet_start, s.quiet_end) for s in NotificationSettings.objects.filter(user_id__in=ids)}
    result = []
    for user in users:
        start, end = quiet.get(user.id, (DEFAULT_QUIET_START, DEFAULT_QUIET_END))
        result.append(
            Recipient(
                user_id=user.id,
                email=user.email,
                phone=user.phone,
                has_webpush=bool(getattr(user, "has_webpush", False)),
                prefs=effective(kind, prefs.get(user.id)),
                muted=user.id in muted,
                quiet_start=start,
                quiet_end=end,
            )
        )
    return result


def quiet_hours(user_id):
    row = NotificationSettings.objects.filter(user_id=user_id).first()
    if row is None:
        return DEFAULT_QUIET_START, DEFAULT_QUIET_END
    return row.quiet_start, row.quiet_end
