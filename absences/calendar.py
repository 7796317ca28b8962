"""The school calendar now lives in ent/schoolcalendar.py (the timetable reads
it too); this name stays for absences' callers, with no code of its own."""

from ent.schoolcalendar import (
    MAX_DAYS_CHECKED,
    NATIONAL_ONLY,
    SCHOOL_HOLIDAYS,
    ClosedDay,
    SchoolCalendar,
    closed_days,
    doubtful_days,
    easter,
    public_holidays,
    school_calendar,
    why_closed,
)

__all__ = [
    "MAX_DAYS_CHECKED",
    "NATIONAL_ONLY",
    "SCHOOL_HOLIDAYS",
    "ClosedDay",
    "SchoolCalendar",
    "closed_days",
    "doubtful_days",
    "easter",
    "public_holidays",
    "school_calendar",
    "why_closed",
]
