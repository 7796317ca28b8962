"""The school calendar (moved here from absences/ when the timetable came:
it reads the same days; absences/calendar.py re-exports it).

Days without school, for the warnings of the parents' declaration form: a
parent who declares a Saturday, a public holiday, a day of the school
holidays or a day the school closed has most likely mistyped a date. They are
warnings, never refusals (a boarding pupil, a Saturday-morning school, a
make-up day exist).

Public holidays are computed (fixed dates and the ones that follow Easter).
School holidays come from the official table in ent/holidays.py: the
national periods for every school, the winter and spring breaks of the
school's zone when it has one (School.holiday_zone; blank, Corsica and
overseas: national dates only). A school's own closed days (a bridge, a
teachers' training day) are ent.directory's ClosedDay rows, set by its
office."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from ent import holidays
from ent.directory.models import ClosedDay as ClosedDayRow

# Kept for the callers that read the national table directly.
SCHOOL_HOLIDAYS = holidays.NATIONAL

# Days beyond this many are not looked at one by one: a declaration that long
# is for the office to read, and the form refuses periods outside the year.
MAX_DAYS_CHECKED = 120


@dataclass(frozen=True)
class ClosedDay:
    day: date
    why: object  # a lazy translated phrase: "a weekend day", "a public holiday (Christmas)"
    # The school's own decision: said as "the school is closed that day (label)".
    by_school: bool = False

    def line(self, day_text):
        if self.by_school:
            return _("%(day)s: %(why)s.") % {"day": day_text, "why": self.why}
        return _("%(day)s is %(why)s.") % {"day": day_text, "why": self.why}


@dataclass(frozen=True)
class SchoolCalendar:
    """What one school adds to the national calendar, read once per check."""

    periods: list  # (first day off, day back, name)
    closed: list  # (first day, last day, label) of the school's ClosedDay rows
    is_primary: bool = False

    def closed_by_school(self, day):
        for first, last, label in self.closed:
            if first <= day <= last:
                if self.is_primary:
                    return _("the school is closed that day (%(label)s)") % {"label": label}
                return _("the secondary school is closed that day (%(label)s)") % {"label": label}
        return None


NATIONAL_ONLY = SchoolCalendar(periods=holidays.NATIONAL, closed=[])


def school_calendar(school, start=None, end=None) -> SchoolCalendar:
    """The calendar of a school (None: the national one), with its closed
    days overlapping start..end (all of them without bounds): one query."""
    if school is None:
        return NATIONAL_ONLY
    rows = ClosedDayRow.objects.filter(school_id=school.id)
    if end is not None:
        rows = rows.filter(date__lte=end)
    closed = [(r.date, r.last_day, r.label) for r in rows.only("date", "end_date", "label")]
    if start is not None:
        closed = [c for c in closed if c[1] >= start]
    return SchoolCalendar(periods=holidays.periods(school.holiday_zone), closed=closed, is_primary=school.is_primary)


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


def why_closed(day: date, holidays_of_year=None, calendar=None):
    """Why there is no school on this day, or None on a school day. Without a
    calendar (see school_calendar), only the national dates are known."""
    return _why(day, holidays_of_year, calendar or NATIONAL_ONLY)[0]


def _why(day, holidays_of_year, calendar):
    holidays_here = holidays_of_year if holidays_of_year is not None else public_holidays(day.year)
    if day in holidays_here:
        return _("a public holiday (%(name)s)") % {"name": holidays_here[day]}, False
    if day.weekday() >= 5:
        return _("a weekend day"), False
    closed = calendar.closed_by_school(day)
    if closed is not None:
        return closed, True
    for first, back, name in calendar.periods:
        if first <= day < back:
            return _("a day of %(holidays)s") % {"holidays": name}, False
    return None, False


def closed_days(start: date, end: date, school=None) -> list[ClosedDay]:
    """The days without school from start to end, both included, for this
    school (its zone's holidays and its own closed days) or nationally."""
    out, day, by_year = [], start, {}
    last = min(end, start + timedelta(days=MAX_DAYS_CHECKED))
    calendar = school_calendar(school, start, last)
    while day <= last:
        if day.year not in by_year:
            by_year[day.year] = public_holidays(day.year)
        why, by_school = _why(day, by_year[day.year], calendar)
        if why is not None:
            out.append(ClosedDay(day, why, by_school))
        day += timedelta(days=1)
    return out


def doubtful_days(start: date, end: date, school=None) -> list[ClosedDay]:
    """The closed days worth a warning in a declared period: its first and
    last days. A weekend or a holiday inside a longer absence is normal (an
    absence from Friday to Monday), one where it starts or ends is a date to
    check."""
    if end < start:
        return []
    ends = {start, end}
    return [c for c in closed_days(start, end, school) if c.day in ends or len(ends) == 1]
