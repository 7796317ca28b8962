"""The homework of a week (work due that week, lessons given) and ticking work done:
the week page's reads and its tick action."""

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from ent.api import problems, readcache
from ent.api.core import responses
from ent.api.views import schemas
from homework import access, actions, pagescopes
from homework.models import Entry

router = Router(tags=["homework"])
# Weeks asked for: a date a diary can hold (9999-12-31 plus a week would overflow).
FIRST_DAY, LAST_DAY = datetime.date(2000, 1, 1), datetime.date(2100, 12, 31)


def _monday(day: datetime.date | None) -> datetime.date:
    # The site's day, as the week page (server time would name another week around midnight).
    day = day or timezone.localdate()
    return day - datetime.timedelta(days=day.weekday())


def _entry(e):
    return {
        "id": e.id,
        "kind": e.kind,
        "title": e.title,
        "instructions": e.instructions,
        "subject": e.subject.name if e.subject_id else None,
        "given_on": e.given_on,
        "due_on": e.due_on,
        "minutes": e.minutes,
        "done": bool(getattr(e, "done", False)),
    }


@router.get("/homework/week", response=responses({200: schemas.Week}), summary="Homework of a week")
@readcache.cached_read(pagescopes.week_scopes)
def week(request, week: datetime.date | None = None, child: int | None = None):
    """`week`: any day of the week (default: this week); `child`: for a parent, which child."""
    if week is not None and not (FIRST_DAY <= week <= LAST_DAY):
        return problems.problem(422, "invalid", _("Invalid request"), _("Choose a week between 2000 and 2100."))
    pupil = access.access_family_pupil(request.user, child)
    monday = _monday(week)
    end = monday + datetime.timedelta(days=7)
    # Work due this week and lessons given this week, in one query (as the week page).
    rows = list(
        access.diary_for_pupil(request.user, pupil)
        .filter(
            Q(kind=Entry.Kind.WORK, due_on__gte=monday, due_on__lt=end)
            | Q(kind=Entry.Kind.LESSON, given_on__gte=monday, given_on__lt=end)
        )
        .select_related("subject")
        .with_done(pupil.id)
        .order_by("due_on", "given_on", "id")
    )
    # Scheduled entries appear with the clock, not with a write (as the week page).
    readcache.expire_at(request, lambda: access.next_publication_for_pupil(request.user, pupil))
    return {
        "pupil": {"id": pupil.id, "first_name": pupil.first_name, "last_name": pupil.last_name},
        "monday": monday,
        "work": [_entry(e) for e in rows if e.kind == Entry.Kind.WORK],
        "lessons": [_entry(e) for e in rows if e.kind == Entry.Kind.LESSON],
    }


@router.post("/homework/{entry_id}/done", response=responses({200: schemas.Done}), summary="Tick work done (or not)")
def tick(request, entry_id: int, body: schemas.Done):
    entry = access.access_pupil_work(request.user, entry_id)
    return {"done": actions.do_tick(request.user, entry, body.done)}
