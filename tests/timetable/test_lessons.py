"""The one function that turns slots, A/B weeks, changes and the school
calendar into lessons, and who sees which (ent/timetable/access.py)."""

from datetime import date, time

import pytest
from django.http import Http404

from ent.directory.models import ClosedDay
from ent.timetable import access
from ent.timetable.lessons import lessons, week_kind
from ent.timetable.models import Change, Slot, Week
from tests.factories import current_year, make_subject, make_user
from tests.timetable.conftest import make_slot

pytestmark = pytest.mark.django_db

MON = date(2026, 10, 5)  # a Monday in term (before the All Saints holidays)


def week(start=MON):
    return start, date.fromordinal(start.toordinal() + 5)


def test_a_weekly_slot_gives_one_lesson_a_week_on_its_day(world):
    make_slot(world.school, klass=world.klass, weekday=1, subject=world.subject, teachers=[world.teacher])
    found = lessons(*week(), school_class=world.klass)
    assert [(lesson.date, lesson.starts_at) for lesson in found] == [(date(2026, 10, 6), time(8, 0))]
    assert found[0].title == "6e A · Mathématiques"
    assert found[0].teachers == (world.teacher,)


def test_a_and_b_weeks_alternate_from_the_typed_week(world):
    year = current_year(world.school)
    make_slot(world.school, klass=world.klass, weeks="A")
    make_slot(world.school, klass=world.klass, weeks="B", start=(9, 0), end=(9, 55))
    Week.objects.create(year=year, monday=MON, kind="A")
    assert [lesson.starts_at for lesson in lessons(*week(), school_class=world.klass)] == [time(8, 0)]
    nxt = date(2026, 10, 12)
    assert [lesson.starts_at for lesson in lessons(*week(nxt), school_class=world.klass)] == [time(9, 0)]
    # A week typed after holidays breaks the alternation from there on.
    Week.objects.create(year=year, monday=nxt, kind="A")
    assert week_kind(nxt, year, list(Week.objects.all())) == "A"
    assert week_kind(date(2026, 9, 28), year, list(Week.objects.all())) == "B"


def test_without_typed_weeks_the_first_week_of_the_year_is_a(world):
    year = current_year(world.school)  # starts Tuesday 1 September 2026
    assert week_kind(date(2026, 9, 3), year, []) == "A"
    assert week_kind(date(2026, 9, 8), year, []) == "B"


def test_holidays_public_holidays_closed_days_and_the_year_bounds_have_no_lessons(world):
    for weekday in range(5):
        make_slot(world.school, klass=world.klass, weekday=weekday)
    # Wednesday 11 November: Armistice Day.
    days = {lesson.date for lesson in lessons(date(2026, 11, 9), date(2026, 11, 13), school_class=world.klass)}
    assert date(2026, 11, 11) not in days and len(days) == 4
    # The All Saints holidays (national): nothing from 19 to 30 October.
    assert lessons(date(2026, 10, 19), date(2026, 10, 30), school_class=world.klass) == []
    ClosedDay.objects.create(school=world.school, date=date(2026, 10, 8), label="Pont")
    assert date(2026, 10, 8) not in {lesson.date for lesson in lessons(*week(), school_class=world.klass)}
    # After the school year's last day.
    assert lessons(date(2027, 7, 5), date(2027, 7, 9), school_class=world.klass) == []


def test_changes_are_applied_and_said_in_words(world):
    slot = make_slot(world.school, klass=world.klass, teachers=[world.teacher], room="12")
    replacement = make_user("remplacant", first_name="Jean", last_name="Dupont")
    Change.objects.create(school=world.school, slot=slot, date=MON, kind=Change.Kind.ROOM, room="14")
    [lesson] = lessons(*week(), school_class=world.klass)
    assert lesson.room == "14" and lesson.notes == ["Room 14 instead of 12"] and not lesson.cancelled
    Change.objects.create(school=world.school, slot=slot, date=MON, kind=Change.Kind.TEACHER_ABSENT)
    [lesson] = lessons(*week(), school_class=world.klass)
    assert lesson.cancelled and "Teacher absent" in lesson.notes
    Change.objects.create(school=world.school, slot=slot, date=MON, kind=Change.Kind.REPLACEMENT, teacher=replacement)
    [lesson] = lessons(*week(), school_class=world.klass)
    assert not lesson.cancelled and lesson.teachers == (replacement,)
    # The replacing teacher sees it among their own lessons; the absent one still sees theirs, marked.
    assert [x.key for x in lessons(*week(), person=replacement)] == [lesson.key]
    assert lessons(*week(), person=world.teacher)[0].teachers == (replacement,)


def test_a_cancelled_lesson_is_kept_marked(world):
    slot = make_slot(world.school, klass=world.klass)
    Change.objects.create(school=world.school, slot=slot, date=MON, kind=Change.Kind.CANCELLED, note="Sortie")
    [lesson] = lessons(*week(), school_class=world.klass)
    assert lesson.cancelled and lesson.notes == ["Lesson cancelled", "Sortie"]


def test_a_moved_lesson_shows_on_both_days_and_an_extra_lesson_appears(world):
    slot = make_slot(world.school, klass=world.klass, teachers=[world.teacher])
    Change.objects.create(
        school=world.school,
        slot=slot,
        date=MON,
        kind=Change.Kind.MOVED,
        new_date=date(2026, 10, 8),
        starts_at=time(15, 0),
        ends_at=time(15, 55),
    )
    Change.objects.create(
        school=world.school,
        date=date(2026, 10, 9),
        kind=Change.Kind.EXTRA,
        school_class=world.klass,
        teacher=world.teacher,
        subject=world.subject,
        starts_at=time(10, 0),
        ends_at=time(10, 55),
    )
    away, moved_in, extra = lessons(*week(), school_class=world.klass)
    assert away.cancelled and away.notes[0].startswith("Moved to")
    assert (moved_in.date, moved_in.starts_at, moved_in.cancelled) == (date(2026, 10, 8), time(15, 0), False)
    assert moved_in.notes[0].startswith("Moved here from")
    assert extra.extra and extra.notes == ["Extra lesson"]
    assert [x.key for x in lessons(*week(), person=world.teacher)] == [away.key, moved_in.key, extra.key]


def test_a_pupil_has_their_class_and_group_lessons_a_teacher_theirs(world):
    make_slot(world.school, klass=world.klass, teachers=[world.teacher])
    make_slot(world.school, group=world.group, weekday=2, teachers=[world.teacher])
    make_slot(world.school, klass=world.other_class, weekday=3, teachers=[world.other_teacher])
    assert len(lessons(*week(), person=world.pupil)) == 2
    assert len(lessons(*week(), person=world.teacher)) == 2
    assert len(lessons(*week(), person=world.other_pupil)) == 1
    assert lessons(*week(), person=world.guardian) == []


def test_primary_half_days_need_no_subject(world):
    make_slot(world.school_b, klass=world.class_b, start=(8, 30), end=(11, 45), half_day="am", room="")
    [lesson] = lessons(*week(), school_class=world.class_b)
    assert lesson.half_day == "am" and lesson.subject is None and lesson.title == "CM1"


def test_visible_to_follows_the_families_and_the_schools(world):
    mine = make_slot(world.school, klass=world.klass, teachers=[world.teacher])
    group = make_slot(world.school, group=world.group, teachers=[world.teacher])
    other = make_slot(world.school, klass=world.other_class, teachers=[world.other_teacher])
    school_b = make_slot(world.school_b, klass=world.class_b, teachers=[world.teacher_b])

    def seen(user):
        return set(Slot.objects.visible_to(user).values_list("id", flat=True))

    assert seen(world.pupil) == {mine.id, group.id}
    assert seen(world.guardian) == {mine.id, group.id, school_b.id}  # Léa's and her brother Hugo's
    assert seen(world.outsider_parent) == {mine.id}  # their child is in 6e A, not in the Latin group
    assert seen(world.teacher) == {mine.id, group.id}
    assert seen(world.vie_scolaire) == {mine.id, group.id, other.id}
    assert seen(world.staff_b) == {school_b.id}
    assert seen(world.parent_b) == {school_b.id}


def test_a_pupil_page_is_404_for_another_family_and_another_school(world):
    for user in (world.outsider_parent, world.parent_b, world.staff_b, world.teacher_b, world.other_pupil):
        with pytest.raises(Http404):
            access.access_pupil(user, world.pupil.id)
    for user in (world.pupil, world.guardian, world.teacher, world.vie_scolaire):
        assert access.access_pupil(user, world.pupil.id) == world.pupil
    with pytest.raises(Http404):
        access.access_pupil(world.guardian, "abc")


def test_a_week_costs_the_same_queries_for_one_slot_and_for_forty(world, django_assert_max_num_queries):
    latin = make_subject(world.school, "LAT", "Latin")
    make_slot(world.school, klass=world.klass, teachers=[world.teacher])
    with django_assert_max_num_queries(7) as few:
        assert len(lessons(*week(), person=world.pupil)) == 1
    for weekday in range(5):
        for hour in range(8, 16):
            make_slot(
                world.school,
                klass=world.klass,
                weekday=weekday,
                start=(hour, 5),
                end=(hour, 55),
                subject=latin,
                teachers=[world.teacher],
            )
    Change.objects.create(school=world.school, slot=Slot.objects.last(), date=MON, kind=Change.Kind.CANCELLED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(lessons(*week(), person=world.pupil)) == 41
