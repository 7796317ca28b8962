"""The timetable as an iCal feed (the homework feeds' token mechanism, of kind
TIMETABLE): parsed back with icalendar; changes in it; stable UIDs; per
pupil, per child, per teacher; revoked, left and foreign tokens 404."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from ent.directory.models import Enrollment
from ent.directory.pagescopes import bump_directory
from ent.timetable.models import Change
from homework.models import CalendarFeed
from tests.timetable.conftest import make_slot

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 10, 5)  # a school week, before the autumn holidays


@pytest.fixture(autouse=True)
def monday(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: MONDAY)
    return MONDAY


def feed_url(feed):
    return reverse("timetable:ical_feed", args=[feed.token])


def events_of(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0" and "PRODID" in calendar
    return list(calendar.walk("VEVENT"))


def by_day(events):
    out = {}
    for event in events:
        out.setdefault(event.decoded("DTSTART").astimezone(PARIS).date(), []).append(event)
    return out


def paris(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS).astimezone(UTC)


def make_feed(client, login_as, owner, whose):
    login_as(owner)
    assert client.post(reverse("timetable:feed_regenerate"), {"pupil": whose.id}).status_code == 302
    return CalendarFeed.objects.get(owner=owner, pupil=whose, kind=CalendarFeed.Kind.TIMETABLE, revoked_at=None)


@pytest.fixture
def week(world):
    """6e A: maths Monday 8:00 (room 12) and Tuesday 10:00, with a room change,
    a cancellation and a move in the first two weeks."""
    monday = make_slot(world.school, klass=world.klass, subject=world.subject, teachers=[world.teacher], room="12")
    tuesday = make_slot(
        world.school,
        klass=world.klass,
        subject=world.subject,
        teachers=[world.teacher],
        weekday=1,
        start=(10, 0),
        end=(10, 55),
        room="12",
    )
    room = Change.objects.create(school=world.school, slot=monday, date=MONDAY, kind=Change.Kind.ROOM, room="14")
    cancelled = Change.objects.create(
        school=world.school,
        slot=tuesday,
        date=MONDAY + timedelta(days=1),
        kind=Change.Kind.CANCELLED,
        note="Sortie au musée",
    )
    moved = Change.objects.create(
        school=world.school,
        slot=monday,
        date=MONDAY + timedelta(days=7),
        kind=Change.Kind.MOVED,
        new_date=MONDAY + timedelta(days=9),
        starts_at=time(14, 0),
        ends_at=time(14, 55),
    )
    return {"monday": monday, "tuesday": tuesday, "room": room, "cancelled": cancelled, "moved": moved}


def test_a_pupils_feed_lists_the_coming_weeks_with_the_changes(world, client, login_as, week):
    feed = make_feed(client, login_as, world.pupil, world.pupil)
    page = client.get(reverse("timetable:mine")).content.decode()
    assert 'id="timetable-feed"' in page and feed_url(feed) in page
    assert 'href="webcal://' in page and f'{feed_url(feed)}"' in page  # the phone's "subscribe" screen

    client.logout()  # calendar apps do not log in
    events = events_of(client.get(feed_url(feed)))
    days = by_day(events)
    assert all(MONDAY <= d < MONDAY + timedelta(weeks=5) for d in days)

    [first] = days[MONDAY]  # the room change: the new room in LOCATION
    assert first.decoded("DTSTART") == paris(MONDAY, 8) and first.decoded("DTEND") == paris(MONDAY, 8, 55)
    assert str(first["LOCATION"]) == "Room 14"
    assert str(first["STATUS"]) == "CONFIRMED"
    assert str(first["SUMMARY"]) == "6e A · Mathématiques"
    assert "Room 14 instead of 12" in str(first["DESCRIPTION"]) and "Anne Leroy" in str(first["DESCRIPTION"])
    assert str(first["UID"]).startswith(f"lesson-s{week['monday'].id}-20261005@")

    [tuesday] = days[MONDAY + timedelta(days=1)]  # cancelled: kept, said so, with its reason
    assert str(tuesday["STATUS"]) == "CANCELLED"
    assert str(tuesday["SUMMARY"]) == "Cancelled: 6e A · Mathématiques"
    assert "Lesson cancelled" in str(tuesday["DESCRIPTION"]) and "Sortie au musée" in str(tuesday["DESCRIPTION"])

    # The move: the old lesson cancelled ("moved to ..."), the new one at its new time.
    [moved_away] = days[MONDAY + timedelta(days=7)]
    assert str(moved_away["STATUS"]) == "CANCELLED" and "Moved to" in str(moved_away["DESCRIPTION"])
    wednesday = by_day(events)[MONDAY + timedelta(days=9)]
    [moved_in] = [e for e in wednesday if e.decoded("DTSTART") == paris(MONDAY + timedelta(days=9), 14)]
    assert str(moved_in["STATUS"]) == "CONFIRMED" and "Moved here from" in str(moved_in["DESCRIPTION"])
    assert str(moved_in["UID"]).startswith(f"lesson-c{week['moved'].id}@")

    # No lessons in the autumn holidays; after them, unchanged ones at their usual room.
    assert MONDAY + timedelta(days=14) not in days and MONDAY + timedelta(days=21) not in days
    [later] = days[MONDAY + timedelta(days=28)]
    assert str(later["LOCATION"]) == "Room 12" and "DESCRIPTION" in later


def test_uids_are_stable_and_unique_across_reads(world, client, login_as, week):
    feed = make_feed(client, login_as, world.pupil, world.pupil)
    first = [str(e["UID"]) for e in events_of(client.get(feed_url(feed)))]
    Change.objects.create(
        school=world.school, slot=week["tuesday"], date=MONDAY + timedelta(days=8), kind="room", room="3"
    )
    again = events_of(client.get(feed_url(feed)))
    assert len(first) == len(set(first))
    assert [str(e["UID"]) for e in again] == first  # the change updates an event, adds none
    changed = next(e for e in again if str(e["UID"]).startswith(f"lesson-s{week['tuesday'].id}-20261013@"))
    assert str(changed["LOCATION"]) == "Room 3" and int(changed["SEQUENCE"]) == 1


def test_a_teacher_has_a_feed_of_their_own_lessons(world, client, login_as, week):
    make_slot(world.school, klass=world.other_class, subject=world.subject, teachers=[world.other_teacher], weekday=2)
    feed = make_feed(client, login_as, world.teacher, world.teacher)
    assert 'id="timetable-feed"' in client.get(reverse("timetable:mine")).content.decode()
    summaries = {str(e["SUMMARY"]) for e in events_of(client.get(feed_url(feed)))}
    assert "6e A · Mathématiques" in summaries and not any("6e B" in s for s in summaries)


def test_a_parents_feed_covers_only_that_child(world, client, login_as, week):
    make_slot(world.school_b, klass=world.class_b, half_day="am", start=(8, 30), end=(11, 45), weekday=3)
    feed = make_feed(client, login_as, world.guardian, world.sibling)
    summaries = {str(e["SUMMARY"]) for e in events_of(client.get(feed_url(feed)))}
    assert summaries == {"CM1"}  # Hugo's lessons, none of Léa's 6e A
    # Another family's child (in Léa's very class): refused, nothing made.
    login_as(world.guardian)
    response = client.post(reverse("timetable:feed_regenerate"), {"pupil": world.outsider_pupil.id})
    assert response.status_code == 404
    assert client.post(reverse("timetable:feed_revoke"), {"pupil": world.outsider_pupil.id}).status_code == 404
    assert not CalendarFeed.objects.filter(pupil=world.outsider_pupil).exists()


def test_who_may_not_hold_a_timetable_feed_gets_404(world, client, login_as):
    for person, whose in (
        (world.outsider_parent, world.pupil),
        (world.staff_b, world.pupil),
        (world.teacher, world.pupil),  # a teacher reads a pupil's week, holds no address of it
        (world.vie_scolaire, world.vie_scolaire),  # staff are neither pupils nor teachers
        (world.guardian, world.guardian),  # a parent's own week is their children's
    ):
        login_as(person)
        assert client.post(reverse("timetable:feed_regenerate"), {"pupil": whose.id}).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_bad_input_and_wrong_methods(world, client, login_as):
    login_as(world.pupil)
    for bad in ("abc", "", "-1", "99999999999999999999"):
        assert client.post(reverse("timetable:feed_regenerate"), {"pupil": bad}).status_code == 404
    assert client.post(reverse("timetable:feed_regenerate")).status_code == 404
    assert client.get(reverse("timetable:feed_regenerate")).status_code == 405
    assert client.get(reverse("timetable:feed_revoke")).status_code == 405
    feed = make_feed(client, login_as, world.pupil, world.pupil)
    assert client.post(feed_url(feed)).status_code == 405
    assert client.get(reverse("timetable:ical_feed", args=["not-a-token"])).status_code == 404
    assert not CalendarFeed.objects.exclude(pk=feed.pk).exists()


def test_renew_and_revoke(world, client, login_as):
    first = make_feed(client, login_as, world.pupil, world.pupil)
    second = make_feed(client, login_as, world.pupil, world.pupil)
    assert first.token != second.token
    assert client.get(feed_url(first)).status_code == 404
    assert client.get(feed_url(second)).status_code == 200
    response = client.post(reverse("timetable:feed_revoke"), {"pupil": world.pupil.id})
    assert response.status_code == 302
    assert client.get(feed_url(second)).status_code == 404
    assert 'id="timetable-feed-url"' not in client.get(reverse("timetable:mine")).content.decode()


def test_timetable_and_homework_addresses_are_separate(world, client, login_as):
    """One mechanism, two kinds: renewing one leaves the other working, and a
    token of one kind opens nothing of the other."""
    homework = CalendarFeed.objects.create(owner=world.pupil, pupil=world.pupil)
    timetable = make_feed(client, login_as, world.pupil, world.pupil)
    assert client.get(reverse("homework:ical_feed", args=[homework.token])).status_code == 200
    assert client.get(reverse("timetable:ical_feed", args=[homework.token])).status_code == 404
    assert client.get(reverse("homework:ical_feed", args=[timetable.token])).status_code == 404
    client.post(reverse("homework:calendar_revoke"), {"pupil": world.pupil.id})
    assert client.get(feed_url(timetable)).status_code == 200


def test_a_pupil_who_left_has_no_feed_any_more(world, client, login_as, week):
    own = make_feed(client, login_as, world.pupil, world.pupil)
    parents = make_feed(client, login_as, world.guardian, world.pupil)
    assert client.get(feed_url(own)).status_code == 200 and client.get(feed_url(parents)).status_code == 200
    Enrollment.objects.filter(pupil=world.pupil).update(left_on=MONDAY)
    bump_directory()  # as the import that records a departure does
    assert client.get(feed_url(own)).status_code == 404
    assert client.get(feed_url(parents)).status_code == 404


def test_a_deactivated_account_has_no_feed(world, client, login_as):
    feed = make_feed(client, login_as, world.guardian, world.pupil)
    world.pupil.is_active = False
    world.pupil.save(update_fields=["is_active"])
    assert client.get(feed_url(feed)).status_code == 404


def test_a_five_week_feed_costs_the_same_for_one_lesson_and_forty(world, client, login_as, django_assert_num_queries):
    make_slot(world.school, klass=world.klass, subject=world.subject, teachers=[world.teacher])
    feed = make_feed(client, login_as, world.pupil, world.pupil)
    client.logout()
    with django_assert_num_queries(FEED_QUERIES):
        assert len(events_of(client.get(feed_url(feed)))) == 3  # 5 Mondays, two in the autumn holidays
    for weekday in range(5):
        for hour in range(9, 17):
            slot = make_slot(
                world.school,
                klass=world.klass,
                weekday=weekday,
                start=(hour, 0),
                end=(hour, 55),
                subject=world.subject,
                teachers=[world.teacher],
            )
            Change.objects.create(
                school=world.school, slot=slot, date=MONDAY + timedelta(days=weekday), kind="room", room="9"
            )
    with django_assert_num_queries(FEED_QUERIES):
        events = events_of(client.get(feed_url(feed)))
    assert len(events) == 3 * 41


# The token with its holder and person, their roles, the changes, the slots,
# their teachers, the school's closed days: the same for 1 lesson or 120 (the
# A/B weeks are read only when a slot alternates: 6 before).
FEED_QUERIES = 5
