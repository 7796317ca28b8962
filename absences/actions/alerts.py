"""Telling people: the guardians at once of an unexplained absence, the
school's managers of repeated unjustified absences (absenteeism)."""

from collections import defaultdict
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from absences import missed
from absences.actions.common import covers, overlapping
from absences.models import AbsenceEvent, AbsenceNotice, AbsenteeismAlert, UnexplainedAlert
from ent.directory.models import Guardianship, School, StaffRole, User
from ent.notify.api import notify

ABSENTEEISM_THRESHOLD = 4  # unjustified half-days in a calendar month


def do_alert_unexplained(register) -> None:
    """Tell the guardians about a register's unexplained absences now. Saving
    the register does it on the day itself; this is for a register of an
    earlier day (the demo seeds last week's)."""
    with transaction.atomic():
        events = list(register.events.filter(kind=AbsenceEvent.Kind.ABSENCE).select_related("pupil"))
        alert_unexplained(events, register)


def alert_unexplained(events, register):
    """Tell the guardians at once, once per pupil and half-day, unless a notice
    (pending or validated) already explains the absence."""
    events = [e for e in events if e.state == AbsenceEvent.State.UNEXPLAINED]
    if not events:
        return
    # A register is saved several times a lesson: skip the half-days already
    # told in one query (the insert below still guards against a race).
    told = set(
        UnexplainedAlert.objects.filter(
            pupil_id__in={e.pupil_id for e in events}, date__in={e.date for e in events}
        ).values_list("pupil_id", "date", "half_day")
    )
    events = [e for e in events if (e.pupil_id, e.date, e.half_day) not in told]
    if not events:
        return
    notices = overlapping(AbsenceNotice.objects.covering(), events)
    events = [e for e in events if not any(covers(n, e) for n in notices)]
    if not events:
        return
    guardians = defaultdict(list)
    for pupil_id, guardian_id in (
        Guardianship.objects.filter(pupil_id__in={e.pupil_id for e in events})
        .filter(Q(is_legal_guardian=True) | Q(may_justify_absences=True))
        .values_list("pupil_id", "guardian_id")
    ):
        guardians[pupil_id].append(guardian_id)
    class_name = str(register.target)
    # The lessons missed, from the timetable: one read for the whole register.
    lessons_missed = missed.for_register(register, events)
    for event in events:
        try:
            with transaction.atomic():
                UnexplainedAlert.objects.create(
                    pupil_id=event.pupil_id, school=register.school, date=event.date, half_day=event.half_day
                )
        except IntegrityError:
            continue  # already told for this half-day
        if not guardians.get(event.pupil_id):
            continue
        notify(
            guardians[event.pupil_id],
            "absence.unexplained",
            obj=event,
            child=event.pupil,
            context={
                "title": _("Absence to explain"),
                "date": event.date,
                # The code, not its label: the reader's language is chosen when it is read.
                "half_day": event.half_day,
                "class_name": class_name,
                "school_name": register.school.name,
                "child_name": event.pupil.first_name,
                "lessons": [m.as_context() for m in lessons_missed.get(event.pk, [])],
                "url": reverse("absences:pupil_file", args=[event.pupil_id]),
            },
        )


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def check_months(pairs):
    by_month = defaultdict(set)
    for pupil_id, month in pairs:
        by_month[month].add(pupil_id)
    for month, pupil_ids in by_month.items():
        check_absenteeism(pupil_ids, month)


def check_absenteeism(pupil_ids, month: date):
    """From ABSENTEEISM_THRESHOLD unjustified half-days in a calendar month, tell
    the school's vie scolaire and direction, once per pupil and month."""
    month = month_of(month)
    rows = (
        AbsenceEvent.objects.filter(
            pupil_id__in=pupil_ids,
            kind=AbsenceEvent.Kind.ABSENCE,
            state=AbsenceEvent.State.UNJUSTIFIED,
            date__gte=month,
            date__lt=next_month(month),
        )
        .values_list("pupil_id", "school_id", "date", "half_day")
        .distinct()
    )
    half_days, school_of = defaultdict(set), {}
    for pupil_id, school_id, day, half in rows:
        half_days[pupil_id].add((day, half))
        school_of[pupil_id] = school_id
    alerted = []
    for pupil_id, slots in half_days.items():
        if len(slots) < ABSENTEEISM_THRESHOLD:
            continue
        listed = [{"date": d, "period": h} for d, h in sorted(slots)]
        try:
            with transaction.atomic():
                AbsenteeismAlert.objects.create(
                    pupil_id=pupil_id,
                    school_id=school_of[pupil_id],
                    month=month,
                    half_days=[{"date": d["date"].isoformat(), "period": d["period"]} for d in listed],
                )
        except IntegrityError:
            continue
        _notify_absenteeism(pupil_id, school_of[pupil_id], month, listed)
        alerted.append(pupil_id)
    return alerted


def _notify_absenteeism(pupil_id, school_id, month, listed):
    staff = StaffRole.objects.filter(
        school_id=school_id, role__in=[StaffRole.Role.VIE_SCOLAIRE, StaffRole.Role.DIRECTION]
    ).values_list("user_id", flat=True)
    pupil = User.objects.get(id=pupil_id)
    school_name = School.objects.filter(id=school_id).values_list("name", flat=True).first()
    notify(
        list(staff),
        "absence.absenteeism_alert",
        child=pupil,
        context={
            "title": _("Absenteeism alert"),
            "half_days": len(listed),
            "half_day_list": [{"date": d["date"], "half_day": d["period"]} for d in listed],
            "pupil_name": pupil.get_full_name() or pupil.username,
            "child_name": pupil.first_name,
            "since": month,
            "school_name": school_name or "",
            "url": reverse("absences:pupil_file", args=[pupil_id]),
        },
    )


def do_check_absenteeism_all(today=None):
    """The daily safety net: this month and the last, every pupil with an
    unjustified absence (alerts are once a month, so this is idempotent)."""
    today = today or timezone.localdate()
    alerted = []
    for month in (month_of(month_of(today) - timedelta(days=1)), month_of(today)):
        ids = set(
            AbsenceEvent.objects.filter(
                state=AbsenceEvent.State.UNJUSTIFIED, date__gte=month, date__lt=next_month(month)
            ).values_list("pupil_id", flat=True)
        )
        if ids:
            with transaction.atomic():
                alerted += check_absenteeism(ids, month)
    return alerted
