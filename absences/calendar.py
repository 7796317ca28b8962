"""Days without school, for the warnings of the parents' declaration form: a
parent who declares a Saturday, a public holiday or a day of the school
holidays has most likely mistyped a date. They are warnings, never refusals
(a boarding pupil, a Saturday-morning school, a make-up day exist).

Public holidays are computed (fixed dates and the ones that follow Easter).
School holidays are the national calendar's periods common to all of
metropolitan France (Toussaint, Noël, the summer start, the Ascension bridge
when the ministry gives one); winter and spring breaks depend on the zone
(A, B, C, overseas academies) and a school's own closed days are decided
locally: both need a calendar kept per territory and school, which does not
exist yet (see the report of issue #22)."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

# "From Saturday X to Monday Y" in the official calendar: classes stop after
# Saturday X and start again on Monday Y, so the days off are X .. Y - 1.
SCHOOL_HOLIDAYS = [
    (date(2025, 10, 18), date(2025, 11, 3), _("the All Saints' holidays")),
    (date(2025, 12, 20), date(2026, 1, 5), _("the Christmas holidays")),
    (date(2026, 5, 15), date(2026, 5, 18), _("the Ascension bridge")),
    (date(2026, 7, 4), date(2026, 9, 1), _("the summer holidays")),
    (date(2026, 10, 17), date(2026, 11, 2), _("the All Saints' holidays")),
    (date(2026, 12, 19), date(2027, 1, 4), _("the Christmas holidays")),
    (date(2027, 7, 3), date(2027, 9, 1), _("the summer holidays")),
]

# Days beyond this many are not looked at one by one: a declaration that long
# is for the office to read, and the form refuses periods outside the year.
MAX_DAYS_CHECKED = 120


@dataclass(frozen=True)
class ClosedDay:
    day: date
    why: object  # a lazy translated phrase: "a weekend day", "a public holiday (Christmas)"


def easter(year: int) -> date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def public_holidays(year: int) -> dict:
    """France's public holidays of a year (jours fériés), date -> name."""
    sunday = easter(year)
    return {
        date(year, 1, 1): _("New Year's Day"),
        sunday + timedelta(days=1): _("Easter Monday"),
        date(year, 5, 1): _("Labour Day"),
        date(year, 5, 8): _("Victory in Europe Day"),
        sunday + timedelta(days=39): _("Ascension Day"),
        sunday + timedelta(days=50): _("Whit Monday"),
        date(year, 7, 14): _("Bastille Day"),
        date(year, 8, 15): _("Assumption Day"),
        date(year, 11, 1): _("All Saints' Day"),
        date(year, 11, 11): _("Armistice Day"),
        date(year, 12, 25): _("Christmas Day"),
    }


def why_closed(day: date, holidays_of_year=None):
    """Why there is no school on this day, or None on a school day."""
    holidays = holidays_of_year if holidays_of_year is not None else public_holidays(day.year)
    if day in holidays:
        return _("a public holiday (%(name)s)") % {"name": holidays[day]}
    if day.weekday() >= 5:
        return _("a weekend day")
    for first, back, name in SCHOOL_HOLIDAYS:
        if first <= day < back:
            return _("a day of %(holidays)s") % {"holidays": name}
    return None


def closed_days(start: date, end: date) -> list[ClosedDay]:
    """The days without school from start to end, both included."""
    out, day, by_year = [], start, {}
    last = min(end, start + timedelta(days=MAX_DAYS_CHECKED))
    while day <= last:
        if day.year not in by_year:
            by_year[day.year] = public_holidays(day.year)
        why = why_closed(day, by_year[day.year])
        if why is not None:
            out.append(ClosedDay(day, why))
        day += timedelta(days=1)
    return out


def doubtful_days(start: date, end: date) -> list[ClosedDay]:
    """The closed days worth a warning in a declared period: its first and
    last days. A weekend or a holiday inside a longer absence is normal (an
    absence from Friday to Monday), one where it starts or ends is a date to
    check."""
    if end < start:
        return []
    ends = {start, end}
    return [c for c in closed_days(start, end) if c.day in ends or len(ends) == 1]
