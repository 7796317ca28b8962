"""When an email or SMS may leave: digest times, each person's quiet hours and
the night.

Two windows hold messages back, both in the territory's local time:
- the person's quiet hours (default 20:00–07:00): only urgent kinds go through;
- the night (NOTIFY_NIGHT_START_HOUR–NOTIFY_NIGHT_END_HOUR, default 22:00–07:00):
  nothing goes, not even an urgent absence, since nobody should get an SMS at 3 a.m.
What is held back is released at the end of the window (the "morning").
"""

import datetime

from django.conf import settings
from django.utils import timezone

from ent.notify.models import Delivery

DAY = datetime.timedelta(days=1)
FRIDAY = 4


def _local(dt):
    return timezone.localtime(dt)


def _at(day: datetime.date, t: datetime.time) -> datetime.datetime:
    # make_aware on a naive combine keeps the wall-clock time right across DST changes.
    return timezone.make_aware(datetime.datetime.combine(day, t))


def in_window(t: datetime.time, start: datetime.time, end: datetime.time) -> bool:
    """Whether local time `t` falls in [start, end), a window that may cross midnight.
    start == end means no window."""
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end


def _window_end(when: datetime.datetime, end: datetime.time) -> datetime.datetime:
    local = _local(when)
    candidate = _at(local.date(), end)
    if candidate <= when:
        candidate = _at(local.date() + DAY, end)
    return candidate


def night_window():
    return (
        datetime.time(settings.NOTIFY_NIGHT_START_HOUR % 24),
        datetime.time(settings.NOTIFY_NIGHT_END_HOUR % 24),
    )


def release_time(when, *, urgent: bool, quiet_start: datetime.time, quiet_end: datetime.time):
    """The first moment at or after `when` when a message of this urgency may be sent."""
    night_start, night_end = night_window()
    # The two windows may overlap or chain (quiet 18:00–20:00, night 22:00–07:00 does
    # not chain; quiet 20:00–23:00 then night does): a few passes settle it.
    for _ in range(4):
        moved = False
        if in_window(_local(when).time(), night_start, night_end):
            when = _window_end(when, night_end)
            moved = True
        if not urgent and in_window(_local(when).time(), quiet_start, quiet_end):
            when = _window_end(when, quiet_end)
            moved = True
        if not moved:
            break
    return when


def next_digest_time(when, mode: str):
    """The next daily (every day) or weekly (Friday) digest time at or after `when`."""
    hour = datetime.time(settings.NOTIFY_DIGEST_HOUR % 24)
    local = _local(when)
    day = local.date()
    if mode == Delivery.Mode.WEEKLY:
        day += datetime.timedelta(days=(FRIDAY - day.weekday()) % 7)
    candidate = _at(day, hour)
    if candidate < when:
        candidate = _at(day + (7 * DAY if mode == Delivery.Mode.WEEKLY else DAY), hour)
    return candidate


def due_at(now, mode: str, *, urgent: bool, quiet_start, quiet_end):
    start = now if mode == Delivery.Mode.IMMEDIATE else next_digest_time(now, mode)
    return release_time(start, urgent=urgent, quiet_start=quiet_start, quiet_end=quiet_end)
