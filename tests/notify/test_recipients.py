"""Who gets what, read in one query: the same routing whether notify() is given
people, their ids or a queryset of them."""

import datetime
import zoneinfo

import pytest
import time_machine

from ent.directory.models import User
from ent.notify.api import notify
from ent.notify.models import ChildMute, Delivery, Notification, NotificationSettings, Preference

pytestmark = pytest.mark.django_db
EVENING = datetime.datetime(2026, 10, 6, 20, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))


@pytest.fixture
def families(world):
    """Four parents of world.pupil, each routed differently."""
    world.guardian.phone = "0612345678"
    world.guardian.save()
    # No quiet hours, SMS on: at once, by email and SMS.
    NotificationSettings.objects.create(
        user=world.guardian, quiet_start=datetime.time(0, 0), quiet_end=datetime.time(0, 0)
    )
    Preference.objects.create(user=world.guardian, kind="homework.due_tomorrow", frequency="immediately", sms=True)
    # Muted for this child: nothing.
    ChildMute.objects.create(user=world.guardian2, child=world.pupil, kind="homework.due_tomorrow")
    # Email chosen, quiet hours the defaults (20:00-07:00): held for the morning.
    world.guardian_nojustify.email = "nojustify@example.org"
    world.guardian_nojustify.save()
    Preference.objects.create(user=world.guardian_nojustify, kind="homework.due_tomorrow", frequency="immediately")
    # Gone: no longer active.
    world.outsider_parent.is_active = False
    world.outsider_parent.save()
    return [world.guardian, world.guardian2, world.guardian_nojustify, world.outsider_parent]


def _routing():
    return sorted(
        (d.notification.recipient_id, d.channel, d.due_at)
        for d in Delivery.objects.select_related("notification").order_by("id")
    ), sorted(Notification.objects.values_list("recipient_id", flat=True))


@pytest.mark.parametrize("form", ["people", "ids", "queryset"])
def test_the_same_routing_for_people_ids_and_a_queryset(world, families, form, settings):
    settings.NOTIFY_NIGHT_START_HOUR = settings.NOTIFY_NIGHT_END_HOUR = 0
    recipients = {
        "people": families,
        "ids": [p.pk for p in families],
        "queryset": User.objects.filter(pk__in=[p.pk for p in families]),
    }[form]
    with time_machine.travel(EVENING, tick=False):
        notify(recipients, "homework.due_tomorrow", child=world.pupil)
    deliveries, notified = _routing()
    guardian = world.guardian.pk
    assert notified == sorted([guardian, world.guardian_nojustify.pk])
    morning = datetime.datetime(2026, 10, 7, 7, 0, tzinfo=EVENING.tzinfo)
    assert deliveries == [
        (guardian, "email", EVENING),  # no quiet hours of their own
        (guardian, "sms", EVENING),
        (world.guardian_nojustify.pk, "email", morning),
    ]
