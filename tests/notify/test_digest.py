"""Digests: one email per person for what they chose to receive grouped."""

import datetime
import zoneinfo

import pytest
import time_machine

from ent.notify import tasks
from ent.notify.api import notify
from ent.notify.kinds import Frequency
from ent.notify.models import Delivery, Preference

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


def paris(day, hour, minute=0):
    return datetime.datetime(2026, 10, day, hour, minute, tzinfo=PARIS)


def test_daily_and_weekly_digests_group_per_person(world, mailoutbox, committed):
    for kind in ("homework.published", "announcement.new"):
        Preference.objects.create(user=world.guardian, kind=kind, frequency=Frequency.DAILY)
    Preference.objects.create(user=world.guardian2, kind="homework.published", frequency=Frequency.DAILY)
    Preference.objects.create(user=world.teacher, kind="announcement.new", frequency=Frequency.WEEKLY)

    with time_machine.travel(paris(6, 9, 0), tick=False):  # Tuesday
        with committed():
            notify(
                [world.guardian, world.guardian2],
                "homework.published",
                child=world.pupil,
                context={"title": "Rédaction"},
            )
        with committed():
            notify([world.guardian], "homework.published", child=world.sibling, context={"title": "Poésie"})
        with committed():
            notify([world.guardian, world.teacher], "announcement.new", context={"title": "Sortie au musée"})
    assert mailoutbox == []

    with time_machine.travel(paris(6, 17, 59), tick=False):
        tasks.send_digests.delay("daily")
    assert mailoutbox == []

    with time_machine.travel(paris(6, 18, 0), tick=False):
        tasks.send_digests.delay("daily")
        # Run twice (beat and the 15-minute release may overlap): still one email each.
        tasks.release_due.delay()
    by_person = {m.to[0]: m for m in mailoutbox}
    assert sorted(by_person) == ["marc@example.org", "sophie@example.org"]
    sophie = by_person["sophie@example.org"]
    assert sophie.subject == "Votre résumé ENT : 3 notifications"
    for expected in ("Rédaction — Léa", "Poésie — Hugo", "Sortie au musée"):
        assert expected in sophie.body
    assert "Poésie" not in by_person["marc@example.org"].body
    html = sophie.alternatives[0][0]
    assert "Rédaction" in html

    # The teacher's weekly digest waits for Friday 18:00.
    weekly = Delivery.objects.get(notification__recipient=world.teacher)
    assert weekly.status == Delivery.Status.PENDING and weekly.due_at == paris(9, 18, 0)
    mailoutbox.clear()
    with time_machine.travel(paris(9, 18, 0), tick=False):
        tasks.send_digests.delay("weekly")
    assert [m.to for m in mailoutbox] == [["anne@example.org"]]
    assert "Sortie au musée" in mailoutbox[0].body


def test_send_digests_refuses_unknown_mode():
    with pytest.raises(ValueError):
        tasks.send_digests("hourly")
