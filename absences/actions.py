"""Every change of state in absences. Each do_* runs in one transaction; the
notifications it sends are rows of that transaction (ent.notify), so a rollback
tells nobody anything."""

import logging
import uuid
from collections import defaultdict
from datetime import date, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from absences.models import (
    AbsenceEvent,
    AbsenceNotice,
    AbsenteeismAlert,
    AuditEntry,
    HalfDay,
    Reason,
    Register,
    RetentionPolicy,
    UnexplainedAlert,
    aware,
    half_day_bounds,
    half_day_of,
)
from ent import files, pagecache, storage
from ent.directory.models import Enrollment, Group, Guardianship, School, StaffRole, Territory, User
from ent.errors import EntError
from ent.notify.api import notify

log = logging.getLogger(__name__)

# Primary schools take the register per half-day; these are the usual hours.
PRIMARY_HOURS = {HalfDay.MORNING: (time(8, 30), time(11, 45)), HalfDay.AFTERNOON: (time(13, 30), time(16, 30))}
ABSENTEEISM_THRESHOLD = 4  # unjustified half-days in a calendar month
MAX_RECORD_DAYS = 31  # one entry by vie scolaire covers at most a month


def document_max_bytes() -> int:
    return files.ABSENCE_DOCUMENT.max_bytes


class AbsenceError(EntError):
    default_message = _("This change could not be saved.")


# Checks -----------------------------------------------------------------------


def check_document(upload) -> files.Checked:
    """The one file gate's check for parents' documents (type by content, size)."""
    return files.check(upload, files.ABSENCE_DOCUMENT)


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


# Registers --------------------------------------------------------------------


def _roster_of_class(class_id):
    return _roster_fields(User.objects.filter(enrollments__school_class_id=class_id, enrollments__left_on__isnull=True))


def _roster_of_group(group_id):
    return _roster_fields(
        User.objects.filter(
            pupil_groups=group_id,
            enrollments__left_on__isnull=True,
            enrollments__school_class__year__is_current=True,
        ).distinct()
    )


def _roster_fields(qs):
    return qs.order_by("last_name", "first_name", "id").only("id", "first_name", "last_name", "username")


def roster(register):
    """The pupils on the register, in alphabetical order (one query)."""
    # Kept under the directory's version (enrolments, group members, names):
    # every register page and save reads it.
    if register.school_class_id:
        key, read = (
            f"absences:roster:v1:c{register.school_class_id}",
            lambda: list(_roster_of_class(register.school_class_id)),
        )
    else:
        key, read = f"absences:roster:v1:g{register.group_id}", lambda: list(_roster_of_group(register.group_id))
    return pagecache.cached_under(key, [pagecache.DIRECTORY], read, settings.AUTH_USER_CACHE_SECONDS)


def do_open_register(user, *, target, day, half_day=None, starts_at=None, ends_at=None, subject=None, manager=False):
    """The register of this class/group and slot: the existing one or a new one (todo)."""
    school = target.school
    if not manager and day != timezone.localdate():
        raise AbsenceError(_("You can only take today's register."))
    check_in_school_year(target.year, day, day)
    if school.is_primary or starts_at is None:
        half_day = half_day or half_day_of(timezone.localtime().time())
        starts_at, ends_at = PRIMARY_HOURS[half_day]
    else:
        if ends_at is None or ends_at <= starts_at:
            raise AbsenceError(_("The end must be after the start."))
        half_day = half_day_of(starts_at)
    is_class = not isinstance(target, Group)
    lookup = {"school_class": target} if is_class else {"group": target}
    with transaction.atomic():
        register = Register.objects.filter(**lookup, date=day, starts_at=starts_at).first()
        if register is not None:
            return register
        try:
            with transaction.atomic():
                return Register.objects.create(
                    **lookup,
                    school=school,
                    subject=subject,
                    date=day,
                    half_day=half_day,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    opened_by=user,
                )
        except IntegrityError:  # opened at the same moment by someone else
            return Register.objects.get(**lookup, date=day, starts_at=starts_at)


def do_save_register(user, register, marks: dict, *, finish: bool, locked=None):
    """Write the register. `marks` maps pupil id -> (kind or None for present,
    minutes). Pupils not in the roster are ignored; the register's own events are
    created, changed or removed to match.

    `locked`: (roster, events by pupil id) that the caller read after locking the
    register in the current transaction (the register view): they are used as
    they are instead of being read again."""
    now = timezone.now()
    if locked is not None and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("do_save_register(locked=...) needs the caller's transaction and lock")
    # Inside the caller's transaction, no savepoint: a failure rolls it all back.
    with transaction.atomic(savepoint=locked is None):
        if locked is not None:
            pupils, existing = locked
        else:
            register = (
                Register.objects.select_for_update(of=("self",))
                .select_related("school", "school_class")
                .get(pk=register.pk)
            )
            pupils = roster(register)
            existing = {e.pupil_id: e for e in register.events.all()}
        start, end = aware(register.date, register.starts_at), aware(register.date, register.ends_at)
        class_of = _class_ids(pupils, register)
        created, changed, removed = [], [], []
        for pupil in pupils:
            kind, minutes = marks.get(pupil.id, (None, None))
            event = existing.get(pupil.id)
            if kind is None:
                if event is not None:
                    removed.append(event.id)
                continue
            if event is None:
                created.append(
                    AbsenceEvent(
                        pupil=pupil,
                        school=register.school,
                        school_class_id=class_of.get(pupil.id),
                        register=register,
                        kind=kind,
                        minutes=minutes,
                        date=register.date,
                        half_day=register.half_day,
                        starts_at=start,
                        ends_at=end,
                        source=AbsenceEvent.Source.REGISTER,
                        recorded_by=user,
                        created_at=now,
                        updated_at=now,
                    )
                )
            elif event.kind != kind or event.minutes != minutes:
                became_absent = kind == AbsenceEvent.Kind.ABSENCE and event.kind != kind
                event.kind, event.minutes, event.updated_at = kind, minutes, now
                event.save(update_fields=["kind", "minutes", "updated_at"])
                if became_absent:
                    changed.append(event)
        if removed:
            AbsenceEvent.objects.filter(id__in=removed).delete()
        if created:
            created = AbsenceEvent.objects.bulk_create(created)
            _justify_from_notices(created)
        register.taken_by = user
        register.updated_at = now
        if finish and register.state != Register.State.DONE:
            register.state, register.done_at = Register.State.DONE, now
        elif register.state == Register.State.TODO:
            register.state = Register.State.IN_PROGRESS
        register.save(update_fields=["taken_by", "updated_at", "state", "done_at"])
        if register.date == timezone.localdate():
            _alert_unexplained([e for e in created + changed if e.is_absence], register)
    return register


def _class_ids(pupils, register) -> dict:
    if register.school_class_id:
        return {p.id: register.school_class_id for p in pupils}
    return dict(
        Enrollment.objects.current()
        .filter(pupil_id__in=[p.id for p in pupils], school_class__school_id=register.school_id)
        .values_list("pupil_id", "school_class_id")
    )


# Notices covering events --------------------------------------------------------


def _overlapping(qs, events):
    """Rows of `qs` (with starts_at/ends_at/pupil_id) overlapping any of the events: one query."""
    if not events:
        return []
    lo = min(e.starts_at for e in events)
    hi = max(e.ends_at for e in events)
    return list(qs.filter(pupil_id__in={e.pupil_id for e in events}, starts_at__lt=hi, ends_at__gt=lo))


def _covers(notice, event) -> bool:
    return notice.pupil_id == event.pupil_id and notice.starts_at < event.ends_at and notice.ends_at > event.starts_at


def apply_reason(event, reason, *, notice=None, has_proof=False):
    event.reason = reason
    event.notice = notice
    event.state = AbsenceEvent.State.JUSTIFIED if reason.counts_as_justified else AbsenceEvent.State.UNJUSTIFIED
    event.settled = reason.settles and (has_proof or not reason.needs_proof)
    event.updated_at = timezone.now()


def _justify_from_notices(events):
    """Events recorded after a notice was validated are justified by it."""
    notices = _overlapping(
        AbsenceNotice.objects.filter(state=AbsenceNotice.State.VALIDATED).select_related("reason"), events
    )
    for event in events:
        notice = next((n for n in notices if _covers(n, event)), None)
        if notice is not None:
            apply_reason(event, notice.reason, notice=notice, has_proof=notice.has_document)
            event.save(update_fields=["reason", "notice", "state", "settled", "updated_at"])


def do_alert_unexplained(register) -> None:
    """Tell the guardians about a register's unexplained absences now. Saving
    the register does it on the day itself; this is for a register of an
    earlier day (the demo seeds last week's)."""
    with transaction.atomic():
        events = list(register.events.filter(kind=AbsenceEvent.Kind.ABSENCE).select_related("pupil"))
        _alert_unexplained(events, register)


def _alert_unexplained(events, register):
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
    notices = _overlapping(AbsenceNotice.objects.covering(), events)
    events = [e for e in events if not any(_covers(n, e) for n in notices)]
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
                "url": reverse("absences:pupil_file", args=[event.pupil_id]),
            },
        )


# Vie scolaire entries -------------------------------------------------------------


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
    user, school, *, pupils, start_date, start_half, end_date, end_half, kind, reason=None, comment="", year
):
    """Vie scolaire records absences for one pupil or a whole class or group (a
    trip, a strike): one event per pupil and half-day. Half-days already recorded
    by vie scolaire for a pupil are left as they are."""
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
            _justify_from_notices(rows)
        _check_months({(e.pupil_id, _month(e.date)) for e in rows if e.state == AbsenceEvent.State.UNJUSTIFIED})
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
        if event.state == AbsenceEvent.State.UNJUSTIFIED and event.is_absence:
            _check_months({(event.pupil_id, _month(event.date))})
    return event


# Notices ----------------------------------------------------------------------------


def check_notice(pupil, enrollment, *, reason, starts_at, ends_at, start_date, end_date, exclude_id=None):
    check_in_school_year(enrollment.school_class.year, start_date, end_date)
    if reason.school_id != enrollment.school_class.school_id or not reason.is_active:
        raise AbsenceError(_("Choose a reason from the list."))
    # A standing notice of the pupil over the period, other than the one being
    # changed (no notice has id 0).
    clash = (
        AbsenceNotice.objects.covering()
        .filter(pupil_id=pupil.id, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .exclude(id=exclude_id or 0)
        .exists()
    )
    if clash:
        raise AbsenceError(
            _("A notice already covers part of this period. Change the dates, or ask the school office.")
        )


def do_declare_notice(user, pupil, enrollment, *, data: dict, document=None):
    """A guardian declares an absence. The document, if any, goes to the object
    store first; if the database then refuses the notice, the file is removed:
    no row without its file, no file without its row."""
    starts_at, ends_at = notice_bounds(
        data["start_date"],
        data["start_half_day"],
        data.get("start_time"),
        data["end_date"],
        data["end_half_day"],
        data.get("end_time"),
    )
    reason = data["reason"]
    doc = {}
    if document is not None:
        # Checked before the upload too: no file sent to the store for a notice
        # that will be refused.
        check_notice(
            pupil,
            enrollment,
            reason=reason,
            starts_at=starts_at,
            ends_at=ends_at,
            start_date=data["start_date"],
            end_date=data["end_date"],
        )
        checked = check_document(document)
        key = f"absences/notices/{pupil.id}/{uuid.uuid4().hex}{checked.extension}"
        files.put(key, document, checked)
        doc = {
            "document_key": key,
            "document_name": checked.filename,
            "document_type": checked.content_type,
            "document_size": checked.size,
        }
    try:
        with transaction.atomic():
            # One declaration at a time per pupil, so two overlapping ones cannot both pass.
            list(User.objects.select_for_update().filter(id=pupil.id).order_by().values_list("id", flat=True))
            check_notice(
                pupil,
                enrollment,
                reason=reason,
                starts_at=starts_at,
                ends_at=ends_at,
                start_date=data["start_date"],
                end_date=data["end_date"],
            )
            notice = AbsenceNotice.objects.create(
                pupil=pupil,
                school=enrollment.school_class.school,
                declared_by=user,
                start_date=data["start_date"],
                start_half_day=data["start_half_day"],
                start_time=data.get("start_time"),
                end_date=data["end_date"],
                end_half_day=data["end_half_day"],
                end_time=data.get("end_time"),
                starts_at=starts_at,
                ends_at=ends_at,
                reason=reason,
                comment=(data.get("comment") or "")[:1000],
                # No document: nothing to hold back.
                scan=files.ScanState.HELD if doc else files.ScanState.OFFERED,
                **doc,
            )
            if doc:
                files.scan_after_commit(files.ABSENCE_DOCUMENT, notice)
    except BaseException:
        if doc:
            _delete_quietly(doc["document_key"])
        raise
    return notice


def _delete_quietly(key):
    try:
        storage.delete(key)
    except EntError:
        log.warning("could not remove orphan object %s", key)


def do_validate_notice(user, notice):
    """Vie scolaire accepts the notice: the absences it covers, recorded already
    or later, are justified with its reason."""
    with transaction.atomic():
        notice = AbsenceNotice.objects.select_for_update().select_related("reason", "pupil", "school").get(pk=notice.pk)
        if not notice.is_pending:
            raise AbsenceError(_("This notice has already been handled."))
        notice.state = AbsenceNotice.State.VALIDATED
        notice.treated_by, notice.treated_at = user, timezone.now()
        notice.save(update_fields=["state", "treated_by", "treated_at"])
        events = list(
            AbsenceEvent.objects.select_for_update()
            .filter(pupil_id=notice.pupil_id, starts_at__lt=notice.ends_at, ends_at__gt=notice.starts_at)
            .exclude(state=AbsenceEvent.State.JUSTIFIED)
        )
        for event in events:
            apply_reason(event, notice.reason, notice=notice, has_proof=notice.has_document)
        AbsenceEvent.objects.bulk_update(events, ["reason", "notice", "state", "settled", "updated_at"])
        _notify_treated(notice)
    return notice


def do_reject_notice(user, notice, *, reason_text):
    reason_text = (reason_text or "").strip()
    if not reason_text:
        raise AbsenceError(_("Say why the notice is rejected: the family will read it."))
    with transaction.atomic():
        notice = AbsenceNotice.objects.select_for_update().select_related("pupil", "school").get(pk=notice.pk)
        if not notice.is_pending:
            raise AbsenceError(_("This notice has already been handled."))
        notice.state = AbsenceNotice.State.REJECTED
        notice.reject_reason = reason_text[:1000]
        notice.treated_by, notice.treated_at = user, timezone.now()
        notice.save(update_fields=["state", "reject_reason", "treated_by", "treated_at"])
        _notify_treated(notice)
    return notice


def _notify_treated(notice):
    if notice.declared_by_id is None:
        return
    notify(
        [notice.declared_by_id],
        "absence.notice_treated",
        obj=notice,
        child=notice.pupil,
        context={
            "title": _("Absence notice handled"),
            "start": notice.starts_at,
            "end": notice.ends_at,
            "state": notice.state,
            "comment": notice.reject_reason,
            "child_name": notice.pupil.first_name,
            "url": reverse("absences:notice_detail", args=[notice.id]),
        },
    )


# Absenteeism -----------------------------------------------------------------------


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def _check_months(pairs):
    by_month = defaultdict(set)
    for pupil_id, month in pairs:
        by_month[month].add(pupil_id)
    for month, pupil_ids in by_month.items():
        check_absenteeism(pupil_ids, month)


def check_absenteeism(pupil_ids, month: date):
    """From ABSENTEEISM_THRESHOLD unjustified half-days in a calendar month, tell
    the school's vie scolaire and direction, once per pupil and month."""
    month = _month(month)
    rows = (
        AbsenceEvent.objects.filter(
            pupil_id__in=pupil_ids,
            kind=AbsenceEvent.Kind.ABSENCE,
            state=AbsenceEvent.State.UNJUSTIFIED,
            date__gte=month,
            date__lt=_next_month(month),
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
    for month in (_month(_month(today) - timedelta(days=1)), _month(today)):
        ids = set(
            AbsenceEvent.objects.filter(
                state=AbsenceEvent.State.UNJUSTIFIED, date__gte=month, date__lt=_next_month(month)
            ).values_list("pupil_id", flat=True)
        )
        if ids:
            with transaction.atomic():
                alerted += check_absenteeism(ids, month)
    return alerted


# Audit -------------------------------------------------------------------------------


def record_views(viewer, pupil_ids, school_id, what):
    """Write who looked at which pupil's record (one insert)."""
    name = viewer.get_full_name() or viewer.username
    now = timezone.now()
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(viewer=viewer, viewer_name=name, pupil_id=pid, school_id=school_id, what=what, viewed_at=now)
            for pid in pupil_ids
        ]
    )


# Retention ---------------------------------------------------------------------------


def purge_cutoff(today: date, years_after: int) -> date:
    """Records dated before this day are past retention. School years start on
    1 September: a record of year Y is kept to the end of year Y + years_after."""
    current_start = today.year if today.month >= 9 else today.year - 1
    return date(current_start - years_after, 9, 1)


def do_purge_expired(today=None) -> dict:
    today = today or timezone.localdate()
    counts = defaultdict(int)
    policies = dict(RetentionPolicy.objects.values_list("territory_id", "years_after"))
    for territory_id in Territory.objects.values_list("id", flat=True):
        cutoff = purge_cutoff(today, policies.get(territory_id, 1))
        cutoff_at = aware(cutoff, time(0, 0))
        in_territory = Q(school__territory_id=territory_id)
        notices = AbsenceNotice.objects.filter(in_territory, ends_at__lt=cutoff_at)
        # Files first: if the store is down nothing is deleted and the next run retries.
        for key in notices.exclude(document_key="").values_list("document_key", flat=True):
            storage.delete(key)
        with transaction.atomic():
            for name, qs in (
                ("events", AbsenceEvent.objects.filter(in_territory, date__lt=cutoff)),
                ("registers", Register.objects.filter(in_territory, date__lt=cutoff)),
                ("notices", notices),
                ("unexplained_alerts", UnexplainedAlert.objects.filter(in_territory, date__lt=cutoff)),
                ("absenteeism_alerts", AbsenteeismAlert.objects.filter(in_territory, month__lt=cutoff)),
                ("audit", AuditEntry.objects.filter(in_territory, viewed_at__lt=cutoff_at)),
            ):
                deleted, _detail = qs.delete()
                counts[name] += deleted
    return dict(counts)


def do_save_reason(user, form):
    """Reasons are configured by the school's managers (the form is bound to
    the reason, its school set by the view)."""
    with transaction.atomic():
        return form.save()


def reasons_for(school, *, include_inactive=False):
    qs = Reason.objects.filter(school=school)
    return qs if include_inactive else qs.filter(is_active=True)
