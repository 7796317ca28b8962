"""Dates and times as people say them, in the reader's language.

French: "mercredi 3 décembre, le matin", "lundi 1er décembre", "de 8 h 00 à
12 h 00". English: "Wednesday 3 December, morning", "from 8:00 to
12:00". The year is said only when it is not this year. Pages
(through the ``dates`` template library), notifications and e-mails all call
these functions, so a date reads the same everywhere.
"""

import datetime

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

MORNING, AFTERNOON = "am", "pm"


def _french() -> bool:
    return (translation.get_language() or "fr").startswith("fr")


def _local(value):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def day(value, *, year: bool | None = None) -> str:
    """ "mercredi 3 décembre" / "Wednesday 3 December" (a date or a datetime)."""
    if value is None:
        return ""
    value = _local(value)
    d = value.date() if isinstance(value, datetime.datetime) else value
    # French says the first of the month "1er", every other day as a number.
    number = "1er" if d.day == 1 and _french() else str(d.day)
    parts = {"weekday": formats.date_format(d, "l"), "day": number, "month": formats.date_format(d, "F")}
    if year is None:
        year = d.year != timezone.localdate().year
    if year:
        return _("%(weekday)s %(day)s %(month)s %(year)s") % {**parts, "year": d.year}
    return _("%(weekday)s %(day)s %(month)s") % parts


def clock(value) -> str:
    """ "8 h 00" / "8:00" (a time or a datetime)."""
    if value is None:
        return ""
    value = _local(value)
    return _("%(hour)d:%(minute)02d") % {"hour": value.hour, "minute": value.minute}


def hours(start, end) -> str:
    """ "de 8 h 00 à 12 h 00" / "from 8:00 to 12:00"."""
    return pgettext("time range", "from %(start)s to %(end)s") % {"start": clock(start), "end": clock(end)}


def half_day(value, half) -> str:
    """ "mercredi 3 décembre, le matin" / "Wednesday 3 December, morning"."""
    if str(half) == AFTERNOON:
        return _("%(day)s, afternoon") % {"day": day(value)}
    return _("%(day)s, morning") % {"day": day(value)}


def half_day_name(half) -> str:
    """ "matin" / "après-midi" — "morning" / "afternoon" (a table column of half-days)."""
    return pgettext("half-day", "afternoon") if str(half) == AFTERNOON else pgettext("half-day", "morning")


def moment(value) -> str:
    """ "mercredi 3 décembre à 17 h 21" / "Wednesday 3 December at 17:21"; a
    date alone is said as a day."""
    if value is None:
        return ""
    if not isinstance(value, datetime.datetime):
        return day(value)
    return _("%(day)s at %(time)s") % {"day": day(value), "time": clock(value)}


def span(start, end) -> str:
    """An interval of aware datetimes [start, end), as a family says it: a
    half-day, a whole day, hours on one day, or from one day to another.
    Dates are said as days; a caller's preformatted string is said as is."""
    if not (isinstance(start, datetime.datetime) and isinstance(end, datetime.datetime)):
        first, final = (v if isinstance(v, str) else moment(v) for v in (start, end))
        if not final or first == final:
            return first
        return pgettext("day range", "from %(start)s to %(end)s") % {"start": first, "end": final}
    start, end = _local(start), _local(end)
    midnight, noon = datetime.time(0, 0), datetime.time(12, 0)
    last = end - datetime.timedelta(microseconds=1)
    if start.date() == last.date():
        bounds = (start.time(), end.time() if end.date() == start.date() else None)
        if bounds == (midnight, noon):
            return half_day(start, MORNING)
        if bounds == (noon, None):
            return half_day(start, AFTERNOON)
        if bounds == (midnight, None):
            return _("%(day)s, all day") % {"day": day(start)}
        return _("%(day)s, %(hours)s") % {"day": day(start), "hours": hours(start, end)}
    if start.time() == midnight:
        first = day(start)
    elif start.time() == noon:
        first = _("%(day)s (afternoon)") % {"day": day(start)}
    else:
        first = moment(start)
    if end.time() == midnight:
        final = day(last)
    elif end.time() == noon:
        final = _("%(day)s (morning)") % {"day": day(end)}
    else:
        final = moment(end)
    return pgettext("day range", "from %(start)s to %(end)s") % {"start": first, "end": final}
