"""A lesson of today or tomorrow cancelled or moved is told to its pupils and
their families, through ent/notify (per-child muting applies)."""

import datetime as dt

import pytest
from django.utils import timezone

from ent.notify.models import Notification
from ent.timetable import actions
from ent.timetable.models import Change
from tests.timetable.conftest import make_slot

pytestmark = pytest.mark.django_db

SUNDAY = dt.date(2026, 10, 4)


@pytest.fixture
def on_sunday(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: SUNDAY)


def test_tomorrows_cancelled_lesson_reaches_the_class_and_its_families(
    world, on_sunday, django_capture_on_commit_callbacks
):
    slot = make_slot(world.school, klass=world.klass, subject=world.subject, teachers=[world.teacher])
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_record_change(
            world.vie_scolaire,
            world.school,
            kind=Change.Kind.CANCELLED,
            slot=slot,
            day=dt.date(2026, 10, 5),
            note="Sortie",
        )
    told = set(
        Notification.objects.filter(kind="timetable.lesson_changed").values_list("recipient__username", flat=True)
    )
    assert {"eleve_t", "parent_t", "parent2_t", "eleve_x_t", "parent_x_t"} <= told
    assert "eleve_b_t" not in told and "prof_t" not in told
    mine = Notification.objects.get(kind="timetable.lesson_changed", recipient=world.guardian)
    assert mine.child_id == world.pupil.id and "Sortie" in str(mine.context)


def test_a_room_change_or_a_change_next_week_tells_nobody(world, on_sunday, django_capture_on_commit_callbacks):
    slot = make_slot(world.school, klass=world.klass, subject=world.subject)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_record_change(
            world.vie_scolaire, world.school, kind=Change.Kind.ROOM, slot=slot, day=dt.date(2026, 10, 5), room="3"
        )
        actions.do_record_change(
            world.vie_scolaire, world.school, kind=Change.Kind.CANCELLED, slot=slot, day=dt.date(2026, 10, 12)
        )
    assert not Notification.objects.filter(kind="timetable.lesson_changed").exists()
