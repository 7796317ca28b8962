"""The register (roll call): opening it for a class or group and a slot, and
saving the marks."""

from datetime import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from absences import pagescopes
from absences.actions.alerts import alert_unexplained
from absences.actions.common import check_in_school_year
from absences.actions.notices import justify_from_notices
from absences.models import AbsenceEvent, HalfDay, Register, aware, half_day_of
from ent import pagecache
from ent.directory.models import Enrollment, Group, User
from ent.errors import AbsenceError
from ent.timetable.models import Slot

# Primary schools take the register per half-day; these are the usual hours.
PRIMARY_HOURS = {HalfDay.MORNING: (time(8, 30), time(11, 45)), HalfDay.AFTERNOON: (time(13, 30), time(16, 30))}


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


def do_open_register(
    user, *, target, day, half_day=None, starts_at=None, ends_at=None, subject=None, manager=False, slot=None
):
    """The register of this class/group and slot: the existing one or a new one (todo).
    `slot`: the timetable's weekly lesson it is for, when opened from it."""
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
                register = Register.objects.create(
                    **lookup,
                    school=school,
                    subject=subject,
                    slot=slot,
                    date=day,
                    half_day=half_day,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    opened_by=user,
                )
        except IntegrityError:  # opened at the same moment by someone else
            return Register.objects.get(**lookup, date=day, starts_at=starts_at)
        # Its id may have been looked up before it existed (a cached "no such register").
        pagecache.bump_after_commit(pagescopes.bump_registers, [register.id])
        return register


def do_open_lesson_register(user, lesson, *, manager=False):
    """The register of a timetable lesson (ent.timetable.lessons.Lesson, one
    the person teaches: access_lesson checked it): its class or group, day,
    hours, subject and slot come from the timetable, nothing to type."""
    if lesson.cancelled:
        raise AbsenceError(_("This lesson is cancelled today: there is no register to take."))
    slot = Slot.objects.filter(pk=lesson.slot_id).first() if lesson.slot_id is not None else None
    primary = lesson.school.is_primary
    return do_open_register(
        user,
        target=lesson.target,
        day=lesson.date,
        half_day=lesson.half_day or None,
        starts_at=None if primary else lesson.starts_at,
        ends_at=None if primary else lesson.ends_at,
        subject=lesson.subject,
        manager=manager,
        slot=slot,
    )


def do_save_register(user, register, marks: dict, *, finish: bool):
    """Write the register. `marks` maps pupil id -> (kind or None for present,
    minutes). Pupils not in the roster are ignored; the register's own events are
    created, changed or removed to match.

    The register's row is locked and its marks read under the lock: two saves of
    the same register (teacher and office) queue up instead of overwriting each
    other's marks."""
    now = timezone.now()
    with transaction.atomic():
        register = (
            Register.objects.select_for_update(of=("self",))
            .select_related("school", "school_class")
            .get(pk=register.pk)
        )
        pupils = roster(register)
        existing = register.events_by_pupil()
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
            justify_from_notices(created)
        register.taken_by = user
        register.updated_at = now
        if finish and register.state != Register.State.DONE:
            register.state, register.done_at = Register.State.DONE, now
        elif register.state == Register.State.TODO:
            register.state = Register.State.IN_PROGRESS
        register.save(update_fields=["taken_by", "updated_at", "state", "done_at"])
        pagecache.bump_after_commit(pagescopes.bump_registers, [register.id])
        if register.date == timezone.localdate():
            alert_unexplained([e for e in created + changed if e.is_absence], register)
    return register


def _class_ids(pupils, register) -> dict:
    if register.school_class_id:
        return {p.id: register.school_class_id for p in pupils}
    return dict(
        Enrollment.objects.current()
        .filter(pupil_id__in=[p.id for p in pupils], school_class__school_id=register.school_id)
        .values_list("pupil_id", "school_class_id")
    )
