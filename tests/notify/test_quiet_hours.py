"""Quiet hours, the night, and the morning release, with frozen time (Paris)."""

import datetime
import zoneinfo

import pytest
import time_machine

from ent.notify import schedule, tasks
from ent.notify.api import notify
from ent.notify.models import Delivery, NotificationSettings

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


def paris(day, hour, minute=0):
    return datetime.datetime(2026, 10, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def phoned(world):
    world.guardian.phone = "0612345678"
    world.guardian.save()
    return world


def test_non_urgent_waits_for_the_morning(phoned, mailoutbox, committed):
    with time_machine.travel(paris(6, 20, 30), tick=False):
        with committed():
            notify([phoned.guardian], "message.new", context={"sender_name": "Anne Leroy"})
        assert mailoutbox == []
        delivery = Delivery.objects.get()
        assert delivery.due_at == paris(7, 7, 0)
    # The 15-minute release before 07:00 sends nothing; the one after does.
    with time_machine.travel(paris(7, 6, 45), tick=False):
        tasks.release_due.delay()
        assert mailoutbox == []
    with time_machine.travel(paris(7, 7, 0), tick=False):
        tasks.release_due.delay()
        assert len(mailoutbox) == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


def test_urgent_goes_through_quiet_hours_in_the_evening(phoned, mailoutbox, sms_outbox, committed):
    with time_machine.travel(paris(6, 20, 30), tick=False):
        with committed():
            notify([phoned.guardian], "absence.unexplained", child=phoned.pupil, context={"period": "soir"})
    assert len(mailoutbox) == 1 and len(sms_outbox) == 1


def test_urgent_waits_for_the_morning_at_night(phoned, mailoutbox, sms_outbox, committed):
    with time_machine.travel(paris(6, 23, 30), tick=False):
        with committed():
            notify([phoned.guardian], "absence.unexplained", child=phoned.pupil)
        assert mailoutbox == [] and sms_outbox == []
        assert {d.due_at for d in Delivery.objects.all()} == {paris(7, 7, 0)}
    with time_machine.travel(paris(7, 7, 5), tick=False):
        tasks.release_due.delay()
    assert len(mailoutbox) == 1 and len(sms_outbox) == 1


def test_quiet_hours_are_per_person(phoned, mailoutbox, committed):
    NotificationSettings.objects.create(
        user=phoned.guardian2, quiet_start=datetime.time(12, 0), quiet_end=datetime.time(14, 0)
    )
    with time_machine.travel(paris(6, 12, 30), tick=False):
        with committed():
            notify([phoned.guardian, phoned.guardian2], "message.new")
    # Sophie has the default quiet hours (20:00-07:00): hers leaves at once.
    assert [m.to for m in mailoutbox] == [["sophie@example.org"]]
    assert Delivery.objects.get(notification__recipient=phoned.guardian2).due_at == paris(6, 14, 0)


def test_empty_quiet_hours_mean_none(phoned, mailoutbox, settings, committed):
    settings.NOTIFY_NIGHT_START_HOUR = settings.NOTIFY_NIGHT_END_HOUR = 0
    NotificationSettings.objects.create(
        user=phoned.guardian, quiet_start=datetime.time(0, 0), quiet_end=datetime.time(0, 0)
    )
    with time_machine.travel(paris(6, 23, 50), tick=False):
        with committed():
            notify([phoned.guardian], "message.new")
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("now", "urgent", "expected"),
    [
        (paris(6, 10, 0), False, paris(6, 10, 0)),
        (paris(6, 19, 59), False, paris(6, 19, 59)),
        (paris(6, 20, 0), False, paris(7, 7, 0)),
        (paris(7, 3, 0), False, paris(7, 7, 0)),
        (paris(6, 21, 0), True, paris(6, 21, 0)),
        (paris(6, 22, 0), True, paris(7, 7, 0)),
        (paris(7, 6, 59), True, paris(7, 7, 0)),
        # The night of the change to winter time (25 October 2026): still 07:00 local.
        (paris(24, 23, 0), False, paris(25, 7, 0)),
    ],
)
def test_release_time(now, urgent, expected):
    got = schedule.release_time(now, urgent=urgent, quiet_start=datetime.time(20), quiet_end=datetime.time(7))
    assert got == expected


def test_digest_times():
    tuesday_noon = paris(6, 12, 0)
    assert schedule.next_digest_time(tuesday_noon, "daily") == paris(6, 18, 0)
    assert schedule.next_digest_time(paris(6, 18, 1), "daily") == paris(7, 18, 0)
    assert schedule.next_digest_time(tuesday_noon, "weekly") == paris(9, 18, 0)
    assert schedule.next_digest_time(paris(9, 18, 30), "weekly") == paris(16, 18, 0)
    # A digest falling in someone's quiet hours waits for their morning.
    due = schedule.due_at(
        tuesday_noon, "daily", urgent=False, quiet_start=datetime.time(17), quiet_end=datetime.time(8)
    )
    assert due == paris(7, 8, 0)
