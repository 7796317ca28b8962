"""The office's A/B weeks page: the year's Mondays with the kind lessons read,
typing a week's kind or clearing it, bad input refused and nothing changed,
and who may (the keepers of the timetable of that school only)."""

from datetime import date

import pytest
from django.urls import reverse

from ent.directory.models import AuditEntry
from ent.timetable.lessons import lessons
from ent.timetable.models import Week
from tests.factories import current_year
from tests.timetable.conftest import make_slot

pytestmark = pytest.mark.django_db

AFTER_ALL_SAINTS = date(2026, 11, 2)  # the year starts on Tuesday 1 September 2026: week of 31 August is A


@pytest.fixture
def office(world, client, login_as):
    login_as(world.vie_scolaire)
    return client


def _weeks(world):
    return reverse("timetable:weeks", args=[world.school.id])


def _set(world):
    return reverse("timetable:week_set", args=[world.school.id])


def _kinds(page):
    return {w["monday"]: (w["kind"], w["typed"], w["holidays"]) for w in page.context["weeks"]}


def test_the_page_lists_the_years_mondays_with_their_kind(world, office):
    page = office.get(_weeks(world))
    assert page.status_code == 200
    kinds = _kinds(page)
    assert min(kinds) == date(2026, 8, 31) and max(kinds) == date(2027, 6, 28)
    assert kinds[date(2026, 8, 31)] == ("A", None, False)
    assert kinds[date(2026, 9, 7)] == ("B", None, False)
    # The alternation counts the holidays: the office sees which weeks they are.
    assert kinds[date(2026, 10, 19)][2] and kinds[date(2026, 10, 26)][2]
    assert kinds[AFTER_ALL_SAINTS] == ("B", None, False)
    assert f'action="{_set(world)}"' in page.content.decode()
    # Linked from the office's timetable page.
    assert _weeks(world) in office.get(reverse("timetable:changes", args=[world.school.id])).content.decode()


def test_typing_a_week_changes_the_lessons_held_then_clearing_it(world, office):
    slot = make_slot(world.school, klass=world.klass, weekday=0, weeks="A")
    assert not lessons(AFTER_ALL_SAINTS, AFTER_ALL_SAINTS, school_class=world.klass)  # a week B
    response = office.post(_set(world), {"monday": "2026-11-02", "kind": "A"})
    assert response.status_code == 302 and response.url.endswith("#w20261102")
    assert [x.slot_id for x in lessons(AFTER_ALL_SAINTS, AFTER_ALL_SAINTS, school_class=world.klass)] == [slot.id]
    kinds = _kinds(office.get(_weeks(world)))
    assert kinds[AFTER_ALL_SAINTS] == ("A", "A", False)
    assert kinds[date(2026, 11, 9)] == ("B", None, False)  # the alternation goes on from the typed week
    # Before the first typed week, the alternation runs back from it (lessons.week_kind).
    assert kinds[date(2026, 9, 7)] == ("A", None, False)
    assert AuditEntry.objects.filter(action="timetable.week", actor=world.vie_scolaire).count() == 1
    # Typed again as B: one row, changed.
    office.post(_set(world), {"monday": "2026-11-02", "kind": "B"})
    assert list(Week.objects.values_list("monday", "kind")) == [(AFTER_ALL_SAINTS, "B")]
    # Cleared: back to the alternation.
    office.post(_set(world), {"monday": "2026-11-02", "kind": ""})
    assert not Week.objects.exists()
    assert _kinds(office.get(_weeks(world)))[AFTER_ALL_SAINTS] == ("B", None, False)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"monday": "2026-11-03", "kind": "A"}, "starts on a Monday"),
        ({"monday": "2027-09-06", "kind": "A"}, "is not in the school year 2026-2027"),
        ({"monday": "2026-08-24", "kind": "A"}, "is not in the school year 2026-2027"),
        ({"monday": "2026-11-02", "kind": "C"}, "Choose a Monday of the year"),
        ({"monday": "lundi", "kind": "A"}, "Choose a Monday of the year"),
        ({"kind": "A"}, "Choose a Monday of the year"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_changes(world, office, data, message):
    Week.objects.create(year=current_year(world.school), monday=AFTER_ALL_SAINTS, kind="A")
    response = office.post(_set(world), data, follow=True)
    assert message in response.content.decode()
    assert list(Week.objects.values_list("monday", "kind")) == [(AFTER_ALL_SAINTS, "A")]
    assert not AuditEntry.objects.filter(action="timetable.week").exists()


def test_the_messages_are_in_french_too(world, office):
    office.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    response = office.post(_set(world), {"monday": "2026-11-03", "kind": "A"}, follow=True)
    assert "Une semaine A ou B commence un lundi" in response.content.decode()
    response = office.post(_set(world), {"monday": "2026-11-02", "kind": "A"}, follow=True)
    assert "Semaine du lundi 2 novembre enregistrée." in response.content.decode()
    assert "Semaines A/B" in office.get(_weeks(world)).content.decode()


def test_only_the_keepers_of_that_school(world, client, login_as):
    monday = {"monday": "2026-11-02", "kind": "A"}
    for person in (world.staff_b, world.teacher, world.guardian, world.pupil, world.referent):
        login_as(person)
        assert client.get(_weeks(world)).status_code == 404, person
        assert client.post(_set(world), monday).status_code == 404, person
    assert not Week.objects.exists()
    login_as(world.direction)
    assert client.get(_weeks(world)).status_code == 200
    assert client.post(_set(world), monday).status_code == 302
    assert Week.objects.get().kind == "A"


def test_wrong_method(world, office):
    assert office.get(_set(world)).status_code == 405
    assert office.post(_weeks(world)).status_code == 405


def test_a_typed_week_refreshes_the_pages_that_show_lessons(
    world, office, monkeypatch, django_capture_on_commit_callbacks
):
    from ent.timetable import pagescopes

    bumped = []
    monkeypatch.setattr(pagescopes, "bump_school", bumped.append)
    with django_capture_on_commit_callbacks(execute=True):
        office.post(_set(world), {"monday": "2026-11-03", "kind": "A"})  # refused: nothing to refresh
    assert bumped == []
    with django_capture_on_commit_callbacks(execute=True):
        office.post(_set(world), {"monday": "2026-11-02", "kind": "A"})
    assert bumped and set(bumped) == {world.school.id}  # at once and at commit (pagecache.bump_after_commit)
