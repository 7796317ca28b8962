"""New work tells the pupils and their guardians (per child); the evening
reminder tells about work due tomorrow that is not ticked, once."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from ent.notify.models import Notification
from homework import tasks
from homework.models import Done, Entry
from tests.homework.conftest import form_data, make_entry

pytestmark = pytest.mark.django_db


def recipients(kind="homework.published"):
    return {(n.recipient_id, n.child_id) for n in Notification.objects.filter(kind=kind)}


def test_new_work_notifies_pupils_and_guardians_with_child(world, client, login_as):
    login_as(world.teacher)
    client.post(reverse("homework:entry_create", args=[f"c{world.klass.id}"]), form_data())
    entry = Entry.objects.get()
    assert entry.announced_at is not None
    assert recipients() == {
        (world.pupil.id, None),
        (world.outsider_pupil.id, None),
        (world.guardian.id, world.pupil.id),
        (world.guardian2.id, world.pupil.id),
        (world.guardian_nojustify.id, world.pupil.id),
        (world.outsider_parent.id, world.outsider_pupil.id),
    }
    n = Notification.objects.filter(recipient=world.guardian).get()
    assert n.context["title"] == "Lire le chapitre 3" and n.context["child_name"] == "Léa"
    assert n.url.endswith(reverse("homework:entry_detail", args=[entry.id]))


def test_lesson_content_and_scheduled_work_notify_nobody_at_once(world, client, login_as):
    login_as(world.teacher)
    url = reverse("homework:entry_create", args=[f"c{world.klass.id}"])
    client.post(url, form_data(kind="lesson", due_on="", title="Séance"))
    later = timezone.localtime() + datetime.timedelta(hours=2)
    client.post(url, form_data(publish_at=later.strftime("%Y-%m-%dT%H:%M")))
    assert Entry.objects.count() == 2
    assert not Notification.objects.exists()


def test_scheduled_work_is_announced_once_when_its_time_comes(world):
    entry = make_entry(world, publish_at=timezone.now() - datetime.timedelta(minutes=1))
    make_entry(world, publish_at=timezone.now() + datetime.timedelta(days=1), title="Plus tard")
    assert tasks.publish_scheduled.delay().get() == 1
    assert len(recipients()) == 6
    assert tasks.publish_scheduled.delay().get() == 0
    assert len(recipients()) == 6
    entry.refresh_from_db()
    assert entry.announced_at is not None


def test_group_work_reaches_the_group_members_only(world, client, login_as):
    login_as(world.teacher)
    client.post(reverse("homework:entry_create", args=[f"g{world.group.id}"]), form_data())
    assert {r for r, _ in recipients()} == {
        world.pupil.id,
        world.guardian.id,
        world.guardian2.id,
        world.guardian_nojustify.id,
    }


def test_evening_reminder_for_work_due_tomorrow_not_ticked(world):
    today = timezone.localdate()
    ticked = make_entry(world, due_in=1, title="Déjà fait")
    make_entry(world, due_in=1, title="À finir")
    make_entry(world, due_in=3, title="Plus tard")
    Done.objects.create(entry=ticked, pupil=world.pupil)
    Done.objects.create(entry=ticked, pupil=world.outsider_pupil)
    assert tasks.remind_due_tomorrow.delay().get() == 2
    got = Notification.objects.filter(kind="homework.due_tomorrow", recipient=world.guardian).get()
    assert got.child_id == world.pupil.id
    assert got.context["titles"] == ["À finir"] and got.context["count"] == 1
    assert got.context["due_date"] == {"$date": (today + datetime.timedelta(days=1)).isoformat()}
    # Run again (a retried task, a second beat): nothing more.
    assert tasks.remind_due_tomorrow.delay().get() == 0
    assert Notification.objects.filter(kind="homework.due_tomorrow").count() == 6


def test_no_reminder_when_everything_is_ticked(world):
    entry = make_entry(world, due_in=1)
    for pupil in (world.pupil, world.outsider_pupil):
        Done.objects.create(entry=entry, pupil=pupil)
    assert tasks.remind_due_tomorrow.delay().get() == 0
    assert not Notification.objects.exists()
