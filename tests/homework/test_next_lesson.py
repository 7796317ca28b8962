""" "Pour la prochaine séance": a teacher's second submit button fills the due
date with the next lesson of the class (or group) in the chosen subject, from
the timetable, without JavaScript and without saving; and the work due shows
under its lesson on the week page."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from ent.timetable.models import Change
from homework.models import Entry
from tests.homework.conftest import form_data, make_entry
from tests.timetable.conftest import make_slot

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 10, 5)


@pytest.fixture(autouse=True)
def monday(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: MONDAY)
    return MONDAY


@pytest.fixture(autouse=True)
def _english(client):
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def create_url(slug):
    return reverse("homework:entry_create", args=[slug])


def due_on_in(page):
    return re.search(r'name="due_on"(?: value="([^"]*)")?', page).group(1) or ""


@pytest.fixture
def maths(world):
    """6e A's maths: Monday 8:00 and Thursday 10:00."""
    return [
        make_slot(world.school, klass=world.klass, subject=world.subject, teachers=[world.teacher]),
        make_slot(
            world.school,
            klass=world.klass,
            subject=world.subject,
            teachers=[world.teacher],
            weekday=3,
            start=(10, 0),
            end=(10, 55),
        ),
    ]


def ask(client, slug, **overrides):
    data = form_data(next_lesson="1", **overrides)
    return client.post(create_url(slug), data)


def test_the_next_lesson_fills_the_due_date_and_saves_nothing(world, client, login_as, maths):
    login_as(world.teacher)
    response = ask(client, f"c{world.klass.id}", subject=world.subject.id, due_on="", title="")
    assert response.status_code == 200
    page = response.content.decode()
    assert due_on_in(page) == "2026-10-08"  # Thursday, the next maths lesson after Monday
    assert "Due date set to the next lesson" in page and "The following ones:" in page
    assert 'class="errorlist' not in page  # nothing validated yet: the title may still be empty
    assert not Entry.objects.exists()
    # Then the teacher adds it as usual.
    data = form_data(subject=world.subject.id, due_on=due_on_in(page))
    assert client.post(create_url(f"c{world.klass.id}"), data).status_code == 302
    assert Entry.objects.get().due_on == date(2026, 10, 8)


def test_a_cancelled_lesson_is_skipped(world, client, login_as, maths):
    Change.objects.create(school=world.school, slot=maths[1], date=date(2026, 10, 8), kind=Change.Kind.CANCELLED)
    login_as(world.teacher)
    page = ask(client, f"c{world.klass.id}", subject=world.subject.id).content.decode()
    assert due_on_in(page) == "2026-10-12"


def test_the_day_the_work_is_given_counts(world, client, login_as, maths):
    login_as(world.teacher)
    page = ask(client, f"c{world.klass.id}", subject=world.subject.id, given_on="2026-10-08").content.decode()
    assert due_on_in(page) == "2026-10-12"


def test_a_group_and_its_subject(world, client, login_as, maths):
    from ent.directory.models import Subject

    latin = Subject.objects.get(school=world.school, code="LAT")
    make_slot(
        world.school, group=world.group, subject=latin, teachers=[world.teacher], weekday=4, start=(15, 0), end=(15, 55)
    )
    login_as(world.teacher)
    page = ask(client, f"g{world.group.id}", subject=latin.id).content.decode()
    assert due_on_in(page) == "2026-10-09"


def test_no_lesson_found_says_so_and_keeps_the_date(world, client, login_as):
    login_as(world.teacher)
    response = ask(client, f"c{world.klass.id}", subject=world.subject.id, due_on="2026-10-20")
    assert response.status_code == 200
    page = response.content.decode()
    assert "No coming lesson of 6e A in this subject was found" in page
    assert due_on_in(page) == "2026-10-20"
    assert not Entry.objects.exists()


def test_another_subject_finds_no_lesson(world, client, login_as, maths):
    login_as(world.teacher)
    # No subject chosen: maths lessons are not "the next lesson" of no subject.
    page = ask(client, f"c{world.klass.id}", subject="", due_on="").content.decode()
    assert "No coming lesson" in page and due_on_in(page) == ""


def test_bad_input_never_crashes_nor_saves(world, client, login_as, maths):
    login_as(world.teacher)
    for bad in ({"subject": "abc"}, {"subject": "999999"}, {"given_on": "31/02/2026"}, {"given_on": "x" * 300}):
        response = ask(client, f"c{world.klass.id}", **bad)
        assert response.status_code == 200
    assert not Entry.objects.exists()


def test_only_the_classes_teacher_may_ask(world, client, login_as, maths):
    for person, status in (
        (world.other_teacher, 404),
        (world.guardian, 404),
        (world.pupil, 404),
        (world.staff_b, 404),
        (world.direction, 403),  # reads the diary, writes none
    ):
        login_as(person)
        assert ask(client, f"c{world.klass.id}", subject=world.subject.id).status_code == status
    login_as(world.teacher)
    assert client.put(create_url(f"c{world.klass.id}")).status_code == 405
    assert not Entry.objects.exists()


def test_the_form_offers_it(world, client, login_as):
    login_as(world.teacher)
    page = client.get(create_url(f"c{world.klass.id}")).content.decode()
    assert 'name="next_lesson"' in page and 'id="next-lesson-help"' in page


# --- Work due shown under its lesson on the week page ---------------------------------------------


def test_work_due_shows_under_its_lesson(world, client, login_as, maths):
    due = make_entry(world, title="Exercice 5", due_on=date(2026, 10, 8), given_on=MONDAY)
    make_entry(world, title="Pour lundi prochain", due_on=date(2026, 10, 12), given_on=MONDAY)  # next week
    make_entry(
        world, target=world.other_class, author=world.other_teacher, title="Autre classe", due_on=date(2026, 10, 8)
    )
    for person in (world.pupil, world.teacher):
        login_as(person)
        page = client.get(reverse("timetable:mine")).content.decode()
        assert page.count('class="plain due-work"') == 1, person
        assert "Exercice 5" in page and reverse("homework:entry_detail", args=[due.id]) in page
        assert "Pour lundi prochain" not in page and "Autre classe" not in page
    login_as(world.guardian)
    client.post(reverse("select_child"), {"child": world.pupil.id})
    assert "Exercice 5" in client.get(reverse("timetable:mine")).content.decode()
    # The sibling's week shows none of Léa's work; another family sees nothing.
    client.post(reverse("select_child"), {"child": world.sibling.id})
    assert "Exercice 5" not in client.get(reverse("timetable:mine")).content.decode()
    login_as(world.outsider_parent)
    assert client.get(reverse("timetable:pupil", args=[world.pupil.id])).status_code == 404


def test_work_due_in_a_cancelled_lesson_is_not_listed_under_it(world, client, login_as, maths):
    Change.objects.create(school=world.school, slot=maths[1], date=date(2026, 10, 8), kind=Change.Kind.CANCELLED)
    make_entry(world, title="Exercice 5", due_on=date(2026, 10, 8), given_on=MONDAY)
    login_as(world.pupil)
    assert 'class="plain due-work"' not in client.get(reverse("timetable:mine")).content.decode()


def test_week_page_with_work_costs_the_same_for_one_entry_and_twenty(
    world, client, login_as, maths, django_assert_max_num_queries, no_page_cache
):
    login_as(world.pupil)
    make_entry(world, title="Un", due_on=date(2026, 10, 8), given_on=MONDAY)
    client.get(reverse("timetable:mine"))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("timetable:mine"))
    for n in range(20):
        make_entry(world, title=f"Travail {n}", due_on=MONDAY + timedelta(days=3 * (n % 2)), given_on=MONDAY)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("timetable:mine")).content.decode()
    assert page.count("Travail ") == 20
