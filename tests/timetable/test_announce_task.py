"""A cancelled or moved lesson is announced by a Celery task queued after the
change is committed, not inside the request; the task is idempotent: run twice
(a retry, a redelivered message), each pupil and family is told once."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ent.notify.models import Notification
from ent.timetable import actions, tasks
from ent.timetable.models import Change
from tests.timetable.conftest import make_slot

pytestmark = pytest.mark.django_db

SUNDAY = dt.date(2026, 10, 4)
MONDAY = dt.date(2026, 10, 5)


@pytest.fixture
def on_sunday(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: SUNDAY)


def _told():
    return Notification.objects.filter(kind="timetable.lesson_changed")


def _cancel(world, slot):
    return actions.do_record_change(world.vie_scolaire, world.school, kind=Change.Kind.CANCELLED, slot=slot, day=MONDAY)


def test_the_request_only_queues_the_task_after_commit(
    world, on_sunday, monkeypatch, django_capture_on_commit_callbacks
):
    slot = make_slot(world.school, klass=world.klass, subject=world.subject)
    queued = []
    monkeypatch.setattr(tasks.announce_change, "delay", lambda *a: queued.append(a))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change = _cancel(world, slot)
    # Nothing sent, nothing queued, until the transaction commits.
    assert not _told().exists() and queued == []
    for callback in callbacks:
        callback()
    assert queued == [(change.pk,)] and not _told().exists()


def test_the_task_runs_once_however_often_it_is_delivered(world, on_sunday, django_capture_on_commit_callbacks):
    slot = make_slot(world.school, klass=world.klass, subject=world.subject)
    with django_capture_on_commit_callbacks(execute=True):
        change = _cancel(world, slot)
    first = _told().count()
    assert first > 0 and _told().filter(recipient=world.guardian, child=world.pupil).count() == 1
    # Delivered again (a retry, a worker restart): nobody is told twice.
    assert tasks.announce_change.apply(args=[change.pk]).get() == 0
    assert actions.announce_change(change.pk) == 0
    assert _told().count() == first


def test_a_pupil_not_yet_told_is_told_on_the_second_run(world, on_sunday, django_capture_on_commit_callbacks):
    slot = make_slot(world.school, klass=world.klass, subject=world.subject)
    with django_capture_on_commit_callbacks(execute=True):
        change = _cancel(world, slot)
    # As if the first run stopped before this pupil.
    _told().filter(child=world.pupil).delete()
    assert actions.announce_change(change.pk) == 1
    assert _told().filter(recipient=world.guardian, child=world.pupil).count() == 1


def test_a_change_withdrawn_before_the_task_runs_tells_nobody(world, on_sunday, django_capture_on_commit_callbacks):
    slot = make_slot(world.school, klass=world.klass, subject=world.subject)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change = _cancel(world, slot)
    actions.do_withdraw_change(world.vie_scolaire, change)
    for callback in callbacks:
        callback()
    assert not _told().exists()


def test_other_families_are_not_told(world, on_sunday, django_capture_on_commit_callbacks):
    slot = make_slot(world.school, klass=world.other_class, subject=world.subject)
    with django_capture_on_commit_callbacks(execute=True):
        _cancel(world, slot)
    told = set(_told().values_list("recipient__username", flat=True))
    assert "eleve_b_t" in told and not told & {"eleve_t", "parent_t", "parent2_t", "parent_b_t"}


def test_the_office_page_records_and_the_task_announces(
    world, on_sunday, client, login_as, django_capture_on_commit_callbacks
):
    slot = make_slot(world.school, klass=world.klass, subject=world.subject)
    login_as(world.vie_scolaire)
    url = reverse("timetable:changes", args=[world.school.id])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"kind": "cancelled", "slot": slot.id, "date": MONDAY.isoformat()})
    assert response.status_code == 302
    assert _told().filter(recipient=world.guardian, child=world.pupil).count() == 1
