"""The week pages: a pupil's own, a parent's child's (the header's switch),
a teacher's; today's changes said in words; bad input; wrong method."""

from datetime import date

import pytest
from django.urls import reverse

from ent.timetable.models import Change
from tests.timetable.conftest import make_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def monday(settings, monkeypatch):
    from django.utils import timezone

    day = date(2026, 10, 5)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)
    return day


def test_the_pupil_sees_their_week_with_todays_change_in_words(world, client, login_as, monday):
    slot = make_slot(world.school, klass=world.klass, subject=world.subject, teachers=[world.teacher], room="12")
    Change.objects.create(school=world.school, slot=slot, date=monday, kind=Change.Kind.ROOM, room="14")
    login_as(world.pupil)
    page = client.get(reverse("timetable:mine")).content.decode()
    assert "6e A · Mathématiques" in page
    assert 'id="today-changes"' in page and "Room 14 instead of 12" in page


def test_a_parent_sees_the_chosen_childs_week_and_another_family_gets_404(world, client, login_as, monday):
    make_slot(world.school, klass=world.klass, subject=world.subject)
    make_slot(world.school_b, klass=world.class_b, half_day="am", start=(8, 30), end=(11, 45))
    login_as(world.guardian)
    client.post(reverse("select_child"), {"child": world.sibling.id})
    page = client.get(reverse("timetable:mine")).content.decode()
    assert "Hugo" in page and "CM1" in page and "Mathématiques" not in page
    assert client.get(reverse("timetable:pupil", args=[world.pupil.id])).status_code == 200
    login_as(world.outsider_parent)
    assert client.get(reverse("timetable:pupil", args=[world.pupil.id])).status_code == 404
    login_as(world.staff_b)
    assert client.get(reverse("timetable:pupil", args=[world.pupil.id])).status_code == 404


def test_a_teacher_sees_their_lessons_another_teacher_not(world, client, login_as, monday):
    make_slot(
        world.school, klass=world.klass, subject=world.subject, teachers=[world.teacher], start=(10, 0), end=(10, 55)
    )
    login_as(world.teacher)
    assert "6e A · Mathématiques" in client.get(reverse("timetable:mine")).content.decode()
    login_as(world.other_teacher)
    assert "6e A · Mathématiques" not in client.get(reverse("timetable:mine")).content.decode()


def test_a_bad_week_says_so_and_shows_this_week(world, client, login_as, monday):
    login_as(world.pupil)
    response = client.get(reverse("timetable:mine"), {"semaine": "31/02/2026"})
    assert response.status_code == 400
    assert 'id="week-error"' in response.content.decode()


def test_the_pages_refuse_post(world, client, login_as):
    login_as(world.pupil)
    assert client.post(reverse("timetable:mine")).status_code == 405


def test_a_week_page_costs_the_same_for_one_lesson_and_forty(
    world, client, login_as, monday, django_assert_max_num_queries, no_page_cache
):
    login_as(world.pupil)
    make_slot(world.school, klass=world.klass, subject=world.subject, teachers=[world.teacher])
    client.get(reverse("timetable:mine"))
    # 7: the lessons' 5, plus the calendar address block and the work due in
    # the lessons (homework), one query each.
    with django_assert_max_num_queries(7) as few:
        client.get(reverse("timetable:mine"))
    for weekday in range(5):
        for hour in range(9, 17):
            make_slot(
                world.school,
                klass=world.klass,
                weekday=weekday,
                start=(hour, 0),
                end=(hour, 55),
                subject=world.subject,
                teachers=[world.teacher],
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("timetable:mine")).content.decode()
    assert page.count('class="lesson') == 41
