"""The demo's timetable: the collège gets a real week, so that `make run`
shows it. `prof` teaches one of her classes at every hour of the school day
(08:00-17:55, Monday to Friday), so her home says which lesson is now
whenever it is tried on a school day; 6e A (Léa's class) has a full week with
its other teachers; today has one room change and tomorrow one cancelled
lesson, recorded by the CPE through the actions like any change.

The école counts in half-days (no subject: the class's teacher teaches
everything): each class has its mornings and afternoons, Wednesday a morning
only (the usual four-and-a-half-day week), so that `parent` sees a week
whichever child is chosen (Hugo, in CE2, is the first by first name)."""

import datetime

from django.utils import timezone

from ent.directory.models import TeachingAssignment
from ent.errors import TimetableError
from ent.timetable import actions
from ent.timetable.imports import PRIMARY_HOURS
from ent.timetable.models import Change, HalfDay, Slot

HOURS = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17]
PROF_CLASSES = ["6e A", "6e B", "5e A"]
# Each école class's week: Wednesday afternoon is off in most écoles.
ECOLE_HALF_DAYS = {
    0: [HalfDay.MORNING, HalfDay.AFTERNOON],
    1: [HalfDay.MORNING, HalfDay.AFTERNOON],
    2: [HalfDay.MORNING],
    3: [HalfDay.MORNING, HalfDay.AFTERNOON],
    4: [HalfDay.MORNING, HalfDay.AFTERNOON],
}


def seed(ctx):
    _seed_college(ctx)
    _seed_ecole(ctx)


def _seed_ecole(ctx):
    ecole = ctx.schools.get("ecole")
    if ecole is None or Slot.objects.filter(school=ecole).exists():
        return
    classes = [k for k in ctx.classes.values() if k.school_id == ecole.pk]
    teachers = {
        a.school_class_id: a.teacher
        for a in TeachingAssignment.objects.filter(school_class__in=classes).select_related("teacher")
    }
    for klass in classes:
        teacher = teachers.get(klass.pk)
        for weekday, halves in ECOLE_HALF_DAYS.items():
            for half in halves:
                start, end = PRIMARY_HOURS[half]
                _slot(ecole, klass, weekday, start, end, None, [teacher] if teacher else [], "", half_day=half)


def _seed_college(ctx):
    prof, cpe = ctx.users.get("prof"), ctx.users.get("cpe")
    college = ctx.schools.get("college")
    if not (prof and cpe and college) or Slot.objects.filter(school=college).exists():
        return
    math = ctx.subjects.get(("college", "MATH"))
    six_a = ctx.classes["6e A"]
    others = list(
        TeachingAssignment.objects.filter(school_class=six_a, subject__isnull=False)
        .exclude(teacher=prof)
        .select_related("teacher", "subject")
        .order_by("subject__code")
    )
    n = 0
    for weekday in range(5):
        for hour in HOURS:
            start, end = datetime.time(hour), datetime.time(hour, 55)
            klass = ctx.classes[PROF_CLASSES[(hour + weekday) % 3]]
            _slot(college, klass, weekday, start, end, math, [prof], "12")
            if klass != six_a and others:
                other = others[n % len(others)]
                n += 1
                _slot(college, six_a, weekday, start, end, other.subject, [other.teacher], f"1{n % 20:02d}")
    _changes(college, cpe, six_a)


def _slot(school, klass, weekday, start, end, subject, teachers, room, half_day=""):
    slot = Slot.objects.create(
        school=school,
        year=klass.year,
        weekday=weekday,
        starts_at=start,
        ends_at=end,
        subject=subject,
        school_class=klass,
        room=room,
        half_day=half_day,
        external_id=f"demo:{klass.pk}:{weekday}:{start:%H%M}",
    )
    slot.teachers.set(teachers)


def _changes(school, cpe, klass):
    """Today's 14h lesson of 6e A moves to room B2; tomorrow's 10h one is
    cancelled. On a day without school the action refuses: no change then."""
    today = timezone.localdate()
    for day, hour, kind, fields in (
        (today, 14, Change.Kind.ROOM, {"room": "B2", "note": "Salle 12 en travaux"}),
        (today + datetime.timedelta(days=1), 10, Change.Kind.CANCELLED, {"note": "Sortie au musée"}),
    ):
        slot = Slot.objects.filter(school_class=klass, weekday=day.weekday(), starts_at=datetime.time(hour)).first()
        if slot is None:
            continue
        try:
            actions.do_record_change(cpe, school, kind=kind, slot=slot, day=day, **fields)
        except TimetableError:
            continue
