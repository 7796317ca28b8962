"""The timetable of a week (lessons with the day's changes): the week page's read.
A pupil or a teacher reads their own; a parent the child asked for (`child`),
else their first child, as the page does. The rules are the timetable's
(ent/timetable/access.py): another family's child is a 404."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from ent.api import problems
from ent.api.core import responses
from ent.api.views import schemas
from ent.directory.context_processors import request_child
from ent.timetable import access

router = Router(tags=["timetable"])
# The weeks the homework endpoint accepts too (a year's calendar can hold them).
FIRST_DAY, LAST_DAY = datetime.date(2000, 1, 1), datetime.date(2100, 12, 31)


def _lesson(lesson) -> dict:
    return {
        "key": lesson.key,
        "date": lesson.date,
        "starts_at": lesson.starts_at,
        "ends_at": lesson.ends_at,
        "half_day": lesson.half_day,
        "title": lesson.title,
        "subject": lesson.subject.name if lesson.subject else None,
        "class_or_group": str(lesson.target.name) if lesson.target is not None else None,
        "teachers": [t.get_full_name() for t in lesson.teachers],
        "room": lesson.room,
        "cancelled": lesson.cancelled,
        "extra": lesson.extra,
        "changes": [str(note) for note in lesson.notes],
    }


@router.get(
    "/timetable/week",
    response=responses({200: schemas.TimetableWeek}),
    summary="Timetable of a week",
    url_name="timetable_week",
)
def week(request, week: datetime.date | None = None, child: int | None = None):
    """`week`: any day of the week (default: this week); `child`: for a parent, which child."""
    if week is not None and not (FIRST_DAY <= week <= LAST_DAY):
        return problems.problem(422, "invalid", _("Invalid request"), _("Choose a week between 2000 and 2100."))
    first, last = access.week_bounds(week or timezone.localdate())
    if child is not None:
        pupil, found = access.pupil_lessons(request.user, child, first, last)
    else:
        about, found = access.my_week(request.user, first, last, chosen_child=lambda: request_child(request))
        pupil = about.get("pupil")
    return {
        "pupil": None
        if pupil is None
        else {"id": pupil.id, "first_name": pupil.first_name, "last_name": pupil.last_name},
        "monday": first,
        "lessons": [_lesson(lesson) for lesson in found],
    }
