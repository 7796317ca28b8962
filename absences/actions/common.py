"""What several kinds of change share: the school-year and period checks, and
how a reason justifies an absence (their error, AbsenceError, is in ent/errors.py)."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from absences.models import AbsenceEvent, aware, half_day_bounds
from ent.errors import AbsenceError


def check_in_school_year(year, start: date, end: date):
    """A period must lie in the pupil's current school year (the school's limits)."""
    if start < year.starts_on or end > year.ends_on:
        raise AbsenceError(
            _("The dates must be within the school year (%(start)s – %(end)s).")
            % {"start": year.starts_on.strftime("%d/%m/%Y"), "end": year.ends_on.strftime("%d/%m/%Y")}
        )


def notice_bounds(start_date, start_half, start_time, end_date, end_half, end_time):
    starts_at = aware(start_date, start_time) if start_time else half_day_bounds(start_date, start_half)[0]
    ends_at = aware(end_date, end_time) if end_time else half_day_bounds(end_date, end_half)[1]
    if ends_at <= starts_at:
        raise AbsenceError(_("The end must be after the start."))
    return starts_at, ends_at


def overlapping(qs, events):
    """Rows of `qs` (with starts_at/ends_at/pupil_id) overlapping any of the events: one query."""
    if not events:
        return []
    lo = min(e.starts_at for e in events)
    hi = max(e.ends_at for e in events)
    return list(qs.filter(pupil_id__in={e.pupil_id for e in events}, starts_at__lt=hi, ends_at__gt=lo))


def covers(notice, event) -> bool:
    return notice.pupil_id == event.pupil_id and notice.starts_at < event.ends_at and notice.ends_at > event.starts_at


def apply_reason(event, reason, *, notice=None, has_proof=False):
    event.reason = reason
    event.notice = notice
    event.state = AbsenceEvent.State.JUSTIFIED if reason.counts_as_justified else AbsenceEvent.State.UNJUSTIFIED
    event.settled = reason.settles and (has_proof or not reason.needs_proof)
    event.updated_at = timezone.now()
