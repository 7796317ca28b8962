"""The timetable in the load benchmark (bench/): a week for every bench teacher,
and two measured pages: the teacher's home with its "Maintenant … Faire
l'appel" block, and the register that block opens (the lesson's register).

Each teacher teaches one of their classes at every hour of the school day
(08:00-17:55, Monday to Friday), as `prof` does in the demo
(ent/timetable/demo.py): whenever the bench runs on a school day, the home of
every bench teacher says which lesson is now, and the register opens for a
lesson held today. Outside school hours the home shows the next lesson (or
none) and the register is today's first lesson; on a day without school both
pages are reported missing rather than measured on an empty timetable."""

import datetime

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from absences import actions as absence_actions
from ent.directory.models import Enrollment, TeachingAssignment
from ent.timetable import access as timetable_access
from ent.timetable.models import Slot

HOURS = range(8, 18)


def bench_seed(ctx):
    assignments = {}
    for teacher_id, class_id, subject_id in TeachingAssignment.objects.filter(
        school_class__in=ctx.classes, subject__isnull=False
    ).values_list("teacher_id", "school_class_id", "subject_id"):
        assignments.setdefault(teacher_id, []).append((class_id, subject_id))
    by_id = {c.id: c for c in ctx.classes}
    slots, teachers = [], []
    for teacher_id, taught in sorted(assignments.items()):
        for weekday in range(5):
            for hour in HOURS:
                class_id, subject_id = taught[(hour + weekday) % len(taught)]
                klass = by_id[class_id]
                slots.append(
                    Slot(
                        school_id=klass.school_id,
                        year_id=klass.year_id,
                        weekday=weekday,
                        starts_at=datetime.time(hour),
                        ends_at=datetime.time(hour, 55),
                        subject_id=subject_id,
                        school_class_id=class_id,
                        room=f"{100 + teacher_id % 40}",
                        external_id=f"bench:{teacher_id}:{weekday}:{hour:02d}",
                    )
                )
                teachers.append(teacher_id)
    Slot.objects.bulk_create(slots, batch_size=5000)
    Through = Slot.teachers.through
    Through.objects.bulk_create(
        [Through(slot_id=s.id, user_id=t) for s, t in zip(slots, teachers, strict=True)], batch_size=5000
    )


def bench_prepare(ctx):
    """A dataset built before the timetable had a hook gets its week now
    (the seed skips a territory that is already there)."""
    if not Slot.objects.filter(school__in=ctx.schools).exists():
        bench_seed(ctx)


def _home(user, ctx):
    return [("GET", reverse("home"), "")]


def _lesson_of_today(user):
    """The lesson the home's "Faire l'appel" opens: the one now, else the next
    one, else today's first one; None on a day without school."""
    block = timetable_access.now_and_today(user)
    held = [lesson for lesson in block["today"] if not lesson.cancelled]
    return block["now"] or block["next"] or (held[0] if held else None)


def _register_from_timetable(user, ctx):
    """What the home's button leads to: the register of the lesson (opened by
    the same action as the POST of register_open), then its page."""
    lesson = _lesson_of_today(user)
    if lesson is None:
        return []
    lesson = timetable_access.access_lesson(user, lesson.key)
    register = absence_actions.registers.do_open_lesson_register(user, lesson)
    return [("GET", reverse("absences:register", kwargs={"register_id": register.id}), "")]


def _grow_lessons(user, ctx, n):
    """n more lessons today for this teacher (two-minute slots from 00:00)."""
    klass = ctx.classes_of_teacher(user.id)[0]
    subject = ctx.subjects_by_school[klass.school_id][0]
    weekday = timezone.localdate().weekday()
    slots = Slot.objects.bulk_create(
        Slot(
            school_id=klass.school_id,
            year_id=klass.year_id,
            weekday=weekday,
            starts_at=datetime.time((i * 2 // 60) % 24, i * 2 % 60),
            ends_at=datetime.time((i * 2 // 60) % 24, i * 2 % 60 + 1),
            subject=subject,
            school_class=klass,
            room="X",
        )
        for i in range(n)
    )
    Through = Slot.teachers.through
    Through.objects.bulk_create([Through(slot_id=s.id, user_id=user.id) for s in slots])


def _grow_pupils(user, ctx, n):
    """n more pupils in the class of the lesson's register."""
    lesson = _lesson_of_today(user)
    User = get_user_model()
    kids = User.objects.bulk_create(
        [User(username=f"grow_tt_{user.id}_{i}", first_name=f"E{i}", last_name=f"N{i}") for i in range(n)]
    )
    Enrollment.objects.bulk_create([Enrollment(pupil=k, school_class=lesson.school_class) for k in kids])


def bench_pages(Page):
    # A teacher opens the home between lessons and the register at the start
    # of each one: the home as often as the register page alone (weight 2).
    return [
        Page("teacher_home", "teacher", 2, _home, _grow_lessons),
        Page("register_from_timetable", "teacher", 2, _register_from_timetable, _grow_pupils),
    ]
