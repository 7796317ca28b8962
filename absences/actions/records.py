"""Vie scolaire's own entries: absences recorded for a pupil, a class or a
group over a period, and the reason, state and settlement of one absence."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from absences import pagescopes
from absences.actions.alerts import check_months, month_of
from absences.actions.common import apply_reason, check_in_school_year
from absences.actions.notices import justify_from_notices
from absences.models import AbsenceEvent, HalfDay, half_day_bounds
from ent import pagecache
from ent.directory.models import Enrollment
from ent.errors import AbsenceError

MAX_RECORD_DAYS = 31  # one entry by vie scolaire covers at most a month


def half_days_between(start_date, start_half, end_date, end_half):
    """Half-days from start to end, both included, skipping weekends when the
    period spans several days (a trip over a week does not count Saturday)."""
    if (end_date, end_half) < (start_date, start_half):
        raise AbsenceError(_("The end must be after the start."))
    if (end_date - start_date).days > MAX_RECORD_DAYS:
        raise AbsenceError(_("One entry covers at most %(days)s days.") % {"days": MAX_RECORD_DAYS})
    out, day = [], start_date
    while day <= end_date:
        if start_date == end_date or day.weekday() < 5:
            for half in (HalfDay.MORNING, HalfDay.AFTERNOON):
                if (start_date, start_half) <= (day, half) <= (end_date, end_half):
                    out.append((day, half))
        day += timedelta(days=1)
    return out


def do_record_absences(
    user, school, *, pupils, start_date, start_half, end_date, end_half, kind, reason=None, comment="", year=None
):
    """Vie scolaire records absences for one pupil or a whole class or group (a
    trip, a strike): one event per pupil and half-day. Half-days already recorded
    by vie scolaire for a pupil are left as they are."""
    if year is None:
        year = school.years.filter(is_current=True).first()
    if year is None:
        raise AbsenceError(_("This school has no current school year."))
    check_in_school_year(year, start_date, end_date)
    slots = half_days_between(start_date, start_half, end_date, end_half)
    if not slots:
        raise AbsenceError(_("No school half-day in this period."))
    if reason is not None and reason.school_id != school.id:
        raise AbsenceError(_("Choose a reason of this school."))
    pupil_ids = [p.id for p in pupils]
    now = timezone.now()
    with transaction.atomic():
        taken = set(
            AbsenceEvent.objects.filter(
                pupil_id__in=pupil_ids,
                source=AbsenceEvent.Source.OFFICE,
                date__gte=start_date,
                date__lte=end_date,
            ).values_list("pupil_id", "date", "half_day")
        )
        class_of = dict(
            Enrollment.objects.current()
            .filter(pupil_id__in=pupil_ids, school_class__school=school)
            .values_list("pupil_id", "school_class_id")
        )
        rows = []
        for pupil in pupils:
            for day, half in slots:
                if (pupil.id, day, half) in taken:
                    continue
                start, end = half_day_bounds(day, half)
                event = AbsenceEvent(
                    pupil=pupil,
                    school=school,
                    school_class_id=class_of.get(pupil.id),
                    kind=kind,
                    date=day,
                    half_day=half,
                    starts_at=start,
                    ends_at=end,
                    source=AbsenceEvent.Source.OFFICE,
                    comment=comment[:500],
                    recorded_by=user,
                    created_at=now,
                    updated_at=now,
                )
                if reason is not None:
                    apply_reason(event, reason)
                rows.append(event)
        rows = AbsenceEvent.objects.bulk_create(rows)
        if reason is None:
            justify_from_notices(rows)
        check_months({(e.pupil_id, month_of(e.date)) for e in rows if e.state == AbsenceEvent.State.UNJUSTIFIED})
    return rows


def do_update_event(user, event, *, reason, state, settled, comment):
    """Vie scolaire sets the reason, the state and whether the absence is settled.
    A reason newly chosen while the state stays unexplained gives the state the
    reason implies."""
    if reason is not None and reason.school_id != event.school_id:
        raise AbsenceError(_("Choose a reason of this school."))
    with transaction.atomic():
        event = AbsenceEvent.objects.select_for_update().get(pk=event.pk)
        if reason is not None and reason.id != event.reason_id and state == AbsenceEvent.State.UNEXPLAINED:
            apply_reason(event, reason, notice=event.notice, has_proof=bool(event.notice_id))
            if settled:
                event.settled = True
        else:
            event.reason = reason
            event.state = state
            event.settled = settled
        event.comment = comment[:500]
        event.updated_at = timezone.now()
        event.save(update_fields=["reason", "state", "settled", "comment", "updated_at", "notice"])
        if event.register_id:
            pagecache.bump_after_commit(pagescopes.bump_registers, [event.register_id])
        if event.state == AbsenceEvent.State.UNJUSTIFIED and event.is_absence:
            check_months({(event.pupil_id, month_of(event.date))})
    return event
