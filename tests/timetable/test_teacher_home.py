"""The teacher's home says which lesson is now and opens its register; the
office's day lists the lessons without a register."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from absences.models import Register
from ent.timetable import pagescopes
from tests.timetable.conftest import make_slot

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 10, 5)


@pytest.fixture
def at_0810(monkeypatch):
    moment = timezone.make_aware(dt.datetime(2026, 10, 5, 8, 10))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: MONDAY)
    return moment


@pytest.fixture
def lesson(world):
    return make_slot(world.school, klass=world.klass, subject=world.subject, teachers=[world.teacher], room="12")


def test_the_teachers_home_says_what_is_now_and_opens_its_register(
    world, client, login_as, at_0810, lesson, no_page_cache
):
    login_as(world.teacher)
    page = client.get(reverse("home")).content.decode()
    assert 'id="lesson-now"' in page and "6e A · Mathématiques" in page and "room 12" in page
    key = f"s{lesson.id}-20261005"
    assert f'value="{key}"' in page
    response = client.post(reverse("absences:register_open"), {"lesson": key})
    register = Register.objects.get()
    assert response.status_code == 302 and response.url == reverse("absences:register", args=[register.id])
    assert (register.slot, register.subject, register.starts_at, register.school_class) == (
        lesson,
        world.subject,
        dt.time(8, 0),
        world.klass,
    )
    # Twice: the same register.
    client.post(reverse("absences:register_open"), {"lesson": key})
    assert Register.objects.count() == 1


def test_the_next_lesson_before_the_first_one(world, client, login_as, lesson, monkeypatch, no_page_cache):
    moment = timezone.make_aware(dt.datetime(2026, 10, 5, 6, 0))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    login_as(world.teacher)
    page = client.get(reverse("home")).content.decode()
    assert 'id="lesson-next"' in page and 'id="lesson-now"' not in page


def test_a_lesson_the_teacher_does_not_teach_is_404(world, client, login_as, at_0810, lesson):
    other = make_slot(world.school, klass=world.other_class, teachers=[world.other_teacher])
    login_as(world.teacher)
    for key in (f"s{other.id}-20261005", f"s{lesson.id}-20261006", "nonsense", ""):
        assert client.post(reverse("absences:register_open"), {"lesson": key}).status_code == 404
    login_as(world.guardian)
    assert client.post(reverse("absences:register_open"), {"lesson": f"s{lesson.id}-20261005"}).status_code == 404
    assert not Register.objects.exists()


def test_the_office_day_lists_lessons_without_a_register(world, client, login_as, at_0810, lesson):
    make_slot(world.school, klass=world.other_class, teachers=[world.other_teacher], start=(9, 0), end=(9, 55))
    login_as(world.vie_scolaire)
    url = reverse("absences:dashboard", args=[world.school.id])
    page = client.get(url).content.decode()
    assert f'id="unopened-s{lesson.id}-20261005"' in page
    client.post(reverse("absences:register_open"), {"lesson": f"s{lesson.id}-20261005"})
    page = client.get(url).content.decode()
    assert f'id="unopened-s{lesson.id}-20261005"' not in page and "unopened-s" in page


def test_the_teachers_home_costs_the_same_for_one_lesson_and_forty(
    world, client, login_as, at_0810, lesson, no_page_cache, django_assert_max_num_queries
):
    login_as(world.teacher)
    client.get(reverse("home"))
    # Both reads just after a timetable write (a factory tells no one; the
    # office's actions bump the school): the day is computed, not replayed.
    pagescopes.bump_school(world.school.id)
    with django_assert_max_num_queries(7) as few:
        client.get(reverse("home"))
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
    pagescopes.bump_school(world.school.id)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("home")).content.decode()
    assert page.count('class="lesson') == 9  # Monday's lessons only


def test_the_teachers_home_costs_the_same_for_1_and_500_lessons_today(
    world, client, login_as, at_0810, lesson, no_page_cache, django_assert_max_num_queries
):
    """Issue #21: the home with "Maintenant … Faire l'appel" pinned with 1 and
    500 lessons today (the bench's teacher_home page)."""
    from ent.timetable.models import Slot

    login_as(world.teacher)
    client.get(reverse("home"))
    # Both reads just after a timetable write, as above: computed, not replayed.
    pagescopes.bump_school(world.school.id)
    with django_assert_max_num_queries(7) as one:
        assert 'id="lesson-now"' in client.get(reverse("home")).content.decode()
    slots = Slot.objects.bulk_create(
        Slot(
            school=world.school,
            year=lesson.year,
            weekday=0,
            starts_at=dt.time(9 + i // 60, i % 60),
            ends_at=dt.time(9 + i // 60, i % 60, 30),
            subject=world.subject,
            school_class=world.klass,
        )
        for i in range(499)
    )
    Slot.teachers.through.objects.bulk_create(
        [Slot.teachers.through(slot_id=s.id, user_id=world.teacher.id) for s in slots]
    )
    pagescopes.bump_school(world.school.id)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse("home")).content.decode()
    assert 'id="lesson-now"' in page and page.count('class="lesson') == 500
