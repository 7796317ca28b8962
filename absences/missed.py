"""The lessons an absence made a pupil miss, read from the timetable, so that
families read "Mathématiques de 8 h 00 à 9 h 00" rather than "matin". Nothing
when the school has no timetable. Reads only: who may see the absence is
checked before (absences/access.py), and the lessons are those of the
absence's own pupil or class.

Lists cost a fixed number of timetable reads, never one per absence: one
`lessons()` call per pupil (a pupil's file) or per class/group and day (a
register's alert), whatever the number of absences."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from ent.timetable.lessons import MAX_DAYS, lessons


@dataclass(frozen=True)
class Missed:
    subject: str
    starts_at: datetime
    ends_at: datetime

    def as_context(self) -> dict:
        # Plain data for ent/notify: the reader's language formats the hours.
        return {"subject": self.subject, "starts_at": self.starts_at, "ends_at": self.ends_at}


def _missed(found, event) -> list[Missed]:
    # A lesson without a subject (a primary school's half-day) says nothing
    # the half-day does not; a cancelled one was not missed.
    return [
        Missed(subject=lesson.subject.name, starts_at=lesson.start, ends_at=lesson.end)
        for lesson in found
        if lesson.subject is not None
        and not lesson.cancelled
        and lesson.start < event.ends_at
        and lesson.end > event.starts_at
    ]


def _spans(days):
    """[first, last] split into ranges `lessons()` accepts (a school year is two)."""
    first, last = min(days), max(days)
    while first <= last:
        end = min(last, first + timedelta(days=MAX_DAYS - 1))
        yield first, end
        first = end + timedelta(days=1)


def for_pupil(pupil, events) -> dict[int, list[Missed]]:
    """{event id: lessons missed} for one pupil's absences (their class and
    groups' lessons): one timetable read per half-year of absences."""
    events = [e for e in events if e.kind == "absence"]
    if not events:
        return {}
    found = []
    for start, end in _spans({e.date for e in events}):
        found += lessons(start, end, person=pupil)
    by_day = defaultdict(list)
    for lesson in found:
        by_day[lesson.date].append(lesson)
    return {e.pk: _missed(by_day.get(e.date, ()), e) for e in events}


def for_register(register, events) -> dict[int, list[Missed]]:
    """{event id: lessons missed} for a register's absences: the class's (or
    group's) lessons of that day, read once for all its pupils."""
    events = [e for e in events if e.kind == "absence"]
    if not events:
        return {}
    target = {"group": register.group} if register.group_id else {"school_class": register.school_class}
    found = lessons(register.date, register.date, **target)
    return {e.pk: _missed(found, e) for e in events}


def annotate(pupil, events) -> list:
    """The events, each with `.lessons_missed` set (a list, empty when the
    school has no timetable), for the pages that list them. An absence taken
    in a register already names its lesson: only the others (recorded by the
    office over hours or days) are looked up."""
    missed = for_pupil(pupil, [e for e in events if e.register_id is None])
    for event in events:
        event.lessons_missed = missed.get(event.pk, [])
    return events
