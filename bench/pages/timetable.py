"""The timetable in the load benchmark (bench/): a collège's week for every
bench class, and two measured pages: the teacher's home with its "Maintenant …
Faire l'appel" block, and the register that block opens (the lesson's register).

A class has one lesson at a time, as in a real collège: 08:00-11:55 and
13:00-15:55 (seven lessons), Wednesday mornings only; each hour goes to one of
the class's teachers who is free then (never two classes at once). Until
session 11 every teacher taught one of their classes at every hour, which gave
each class ~15 overlapping lessons a day: its homes rendered and kept twice
the lessons any real family sees. A teacher's home shows the lesson now, or
the next one; the register is of the lesson now, else the next, else today's
first; on a day without school both pages are reported missing rather than
measured on an empty timetable."""

import datetime

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from absences import actions as absence_actions
from ent.directory.models import Enrollment, TeachingAssignment
from ent.timetable import access as timetable_access
from ent.timetable.models import Slot

HOURS = (8, 9, 10, 11, 13, 14, 15)
WEDNESDAY = 2
LAYOUT = "bench:c"  # external ids of this layout; an older dataset's are replaced


def bench_seed(ctx):
    taught = {}
    for teacher_id, class_id, subject_id in TeachingAssignment.objects.filter(
        school_class__in=ctx.classes, subject__isnull=False
    ).values_list("teacher_id", "school_class_id", "subject_id"):
        taught.setdefault(class_id, []).append((teacher_id, subject_id))
    busy = set()  # (teacher, weekday, hour)
    slots, teachers = [], []
    for n, klass in enumerate(sorted(ctx.classes, key=lambda c: c.id)):
        options = sorted(taught.get(klass.id, ()))
        if not options:
            continue
        for weekday in range(5):
            for hour in HOURS:
                if weekday == WEDNESDAY and hour >= 12:
                    continue
                # Rotate through the class's teachers; the first one free takes the hour.
                first = (n + weekday * len(HOURS) + hour) % len(options)
                free = [o for o in options[first:] + options[:first] if (o[0], weekday, hour) not in busy]
                if not free:
                    continue  # every teacher of the class busy: a free hour
                teacher_id, subject_id = free[0]
                busy.add((teacher_id, weekday, hour))
                slots.append(
                    Slot(
                        school_id=klass.school_id,
                        year_id=klass.year_id,
                        weekday=weekday,
                        starts_at=datetime.time(hour),
                        ends_at=datetime.time(hour, 55),
                        subject_id=subject_id,
                        school_class_id=klass.id,
                        room=f"{100 + teacher_id % 40}",
                        external_id=f"{LAYOUT}{klass.id}:{weekday}:{hour:02d}",
                    )
                )
                teachers.append(teacher_id)
    Slot.objects.bulk_create(slots, batch_size=5000)
    Through = Slot.teachers.through
    Through.objects.bulk_create(
        [Through(slot_id=s.id, user_id=t) for s, t in zip(slots, teachers, strict=True)], batch_size=5000
    )


def bench_prepare(ctx):
    """A dataset built before the timetable had a hook gets its week now (the
    seed skips a territory that is already there), and one built with the
    older layout (every teacher at every hour) gets this one."""
    mine = Slot.objects.filter(school__in=ctx.schools)
    if not mine.filter(external_id__startswith=LAYOUT).exists():
        mine.filter(external_id__startswith="bench:").delete()
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
