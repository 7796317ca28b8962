"""The timetable of a week through the API (GET /api/v1/timetable/week): the
week page's lessons and changes, for the pupil, each parent and the teacher;
another family's child or another school's family: 404; bad input: a problem."""

import datetime

import pytest

from ent.timetable.models import Change
from tests.timetable.conftest import make_slot

pytestmark = pytest.mark.django_db
URL = "/api/v1/timetable/week"
MONDAY = datetime.date(2026, 10, 5)  # a school week, before the autumn holidays


@pytest.fixture(autouse=True)
def on_that_monday(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: MONDAY)


@pytest.fixture
def maths(world):
    """6e A: maths every Monday 8:00 in room 12, moved to room 14 this Monday."""
    slot = make_slot(world.school, klass=world.klass, subject=world.subject, teachers=[world.teacher], room="12")
    Change.objects.create(school=world.school, slot=slot, date=MONDAY, kind=Change.Kind.ROOM, room="14")
    return slot


def _lessons(response):
    assert response.status_code == 200, response.content
    return response.json()["lessons"]


def test_the_pupil_each_parent_and_the_teacher_read_the_week_with_its_change(world, client, bearer, maths):
    [lesson] = _lessons(client.get(URL, **bearer(world.pupil)))
    assert (lesson["date"], lesson["starts_at"], lesson["room"]) == ("2026-10-05", "08:00:00", "14")
    assert lesson["subject"] == world.subject.name and lesson["class_or_group"] == world.klass.name
    assert lesson["teachers"] == [world.teacher.get_full_name()] and not lesson["cancelled"]
    assert lesson["changes"], "the room change is said"
    # A parent: their child, asked for or by default (their first child).
    asked = client.get(f"{URL}?child={world.pupil.id}&week=2026-10-07", **bearer(world.guardian2))
    assert [x["key"] for x in _lessons(asked)] == [lesson["key"]]
    assert asked.json()["pupil"]["id"] == world.pupil.id
    assert _lessons(client.get(URL, **bearer(world.teacher)))[0]["key"] == lesson["key"]
    # The next week: the room is back to 12, no change.
    [later] = _lessons(client.get(f"{URL}?week=2026-10-12", **bearer(world.pupil)))
    assert later["room"] == "12" and later["changes"] == []


def test_a_cancelled_lesson_is_kept_and_marked(world, client, bearer, maths):
    Change.objects.filter(slot=maths).delete()
    Change.objects.create(school=world.school, slot=maths, date=MONDAY, kind=Change.Kind.CANCELLED)
    [lesson] = _lessons(client.get(URL, **bearer(world.pupil)))
    assert lesson["cancelled"] and lesson["changes"]


def test_another_family_or_school_gets_404(world, client, bearer, maths):
    url = f"{URL}?child={world.pupil.id}"
    assert client.get(url, **bearer(world.outsider_parent)).status_code == 404
    assert client.get(url, **bearer(world.parent_b)).status_code == 404
    assert client.get(url, **bearer(world.pupil_b)).status_code == 404
    # Without `child`, a parent's week is about their own child (in the same class here).
    assert client.get(URL, **bearer(world.outsider_parent)).json()["pupil"]["id"] == world.outsider_pupil.id
    # Another school's family: nothing of this school's timetable.
    assert _lessons(client.get(URL, **bearer(world.parent_b))) == []


def test_wrong_method_bad_input_and_no_token(world, client, bearer, maths):
    auth = bearer(world.pupil)
    assert client.post(URL, **auth).status_code == 405
    bad = client.get(f"{URL}?week=demain", **auth)
    assert bad.status_code == 422 and bad["Content-Type"].startswith("application/problem+json")
    assert client.get(f"{URL}?week=1900-01-01", **auth).status_code == 422
    assert client.get(f"{URL}?child=abc", **auth).status_code == 422
    assert client.get(URL).status_code == 401


def test_english_words_for_an_english_reader(world, client, bearer, maths):
    [lesson] = _lessons(client.get(URL, HTTP_ACCEPT_LANGUAGE="en", **bearer(world.pupil)))
    french = _lessons(client.get(URL, HTTP_ACCEPT_LANGUAGE="fr", **bearer(world.pupil)))[0]
    assert lesson["changes"] != french["changes"]


def test_query_count_does_not_grow_with_lessons(world, client, bearer, maths, django_assert_max_num_queries):
    auth = bearer(world.pupil)
    with django_assert_max_num_queries(20) as one:
        client.get(URL, **auth)
    for hour in range(9, 17):
        make_slot(
            world.school,
            klass=world.klass,
            subject=world.subject,
            teachers=[world.teacher],
            start=(hour, 0),
            end=(hour, 55),
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(_lessons(client.get(URL, **auth))) == 9
