"""The homes' "Ma journée" on a first visit (issue #25): a school without a
timetable reads no lesson, a parent's child's day costs no second roles
query, and an office change shows on the next home view."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ent.timetable import actions
from ent.timetable.models import Change, Slot
from tests.timetable.conftest import make_slot

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 10, 5)


@pytest.fixture(autouse=True)
def at_0710(monkeypatch):
    moment = timezone.make_aware(dt.datetime(2026, 10, 5, 7, 10))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: MONDAY)
    cache.clear()  # Monday morning: nothing cached yet
    yield
    cache.clear()


def _home(client):
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("home")).content.decode()
    return page, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("who", ["guardian", "pupil", "teacher"])
def test_a_school_without_a_timetable_reads_no_lesson(world, client, login_as, who):
    person = getattr(world, who)
    login_as(person)
    cache.clear()
    tables = (Slot._meta.db_table, Change._meta.db_table)
    page, sql = _home(client)
    # A teacher's part still says "No more lessons today."
    assert ('id="timetable-today"' in page) == (who == "teacher")
    read = [q for q in sql if any(f'"{t}"' in q for t in tables)]
    # One look per school at whether it has a timetable (then kept), no lesson read.
    assert len(read) <= len(person.roles.school_ids) and all("UNION" in q for q in read)
    page, sql = _home(client)
    assert not any(f'"{t}"' in q for q in sql for t in tables)


def test_a_parents_home_shows_the_childs_day_without_reading_the_childs_roles(world, client, login_as):
    make_slot(world.school, klass=world.klass, subject=world.subject, teachers=[world.teacher], room="12")
    login_as(world.guardian)
    client.post(reverse("select_child"), {"child": world.pupil.id})
    client.get(reverse("home"))  # any message of the choice shown: the page is kept, as every morning
    cache.clear()
    page, sql = _home(client)
    assert 'id="timetable-today"' in page and "Mathématiques" in page and "room 12" in page
    # The parent's own roles only (the UNION of the roles query).
    assert sum("UNION ALL" in q for q in sql) == 1


def test_a_cancellation_by_the_office_shows_on_the_next_home_view(world, client, login_as):
    slot = make_slot(world.school, klass=world.klass, subject=world.subject, teachers=[world.teacher])
    for person in (world.guardian, world.pupil):
        login_as(person)
        if person == world.guardian:
            client.post(reverse("select_child"), {"child": world.pupil.id})
        page, _sql = _home(client)
        assert "Lesson cancelled" not in page and "Mathématiques" in page
    actions.do_record_change(world.vie_scolaire, world.school, kind=Change.Kind.CANCELLED, slot=slot, day=MONDAY)
    for person in (world.guardian, world.pupil):
        login_as(person)
        if person == world.guardian:
            client.post(reverse("select_child"), {"child": world.pupil.id})
        page, _sql = _home(client)
        assert "Lesson cancelled" in page


def test_the_homes_day_is_the_persons_lessons(world):
    from ent.timetable import access
    from ent.timetable.lessons import lessons

    maths = make_slot(world.school, klass=world.klass, subject=world.subject, teachers=[world.teacher])
    make_slot(world.school, group=world.group, start=(9, 0), end=(9, 55), teachers=[world.teacher])
    make_slot(world.school, klass=world.other_class, start=(11, 0), end=(11, 55), teachers=[world.other_teacher])
    Change.objects.create(school=world.school, slot=maths, date=MONDAY, kind="room", room="9")
    Change.objects.create(
        school=world.school,
        school_class=world.klass,
        group=world.group,  # both: still one lesson
        date=MONDAY,
        kind="extra",
        starts_at=dt.time(14),
        ends_at=dt.time(15),
    )
    now = timezone.make_aware(dt.datetime(2026, 10, 5, 7, 10))

    def shown(lessons_):
        return [(x.key, x.title, x.room, tuple(x.notes), x.cancelled) for x in lessons_]

    expected = shown(lessons(MONDAY, MONDAY, person=world.pupil))
    assert len(expected) == 3
    for _ in range(2):  # computed, then from the cache
        assert shown(access.home_part(world.pupil, now=now)["today"]) == expected
        part = access.home_part(type(world.guardian).objects.get(pk=world.guardian.pk), world.pupil, now=now)
        assert shown(part["today"]) == expected


def test_a_closed_day_added_by_the_office_takes_the_lessons_off_the_next_home_view(world, client, login_as):
    from ent.directory import actions as directory_actions

    make_slot(world.school, klass=world.klass, subject=world.subject, teachers=[world.teacher])
    login_as(world.pupil)
    page, _sql = _home(client)
    assert 'id="timetable-today"' in page
    closed = directory_actions.do_add_closed_day(world.school, first=MONDAY, label="Journée pédagogique")
    page, _sql = _home(client)
    assert 'id="timetable-today"' not in page, page[page.index('id="timetable-today"') - 200 :][:1500]
    directory_actions.do_delete_closed_day(closed)
    page, _sql = _home(client)
    assert 'id="timetable-today"' in page
