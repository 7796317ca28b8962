"""A register not taken 15 minutes after the start reminds the teacher,
once; a taken register, a cancelled lesson or an early run remind nobody."""

import datetime as dt

import pytest
from django.utils import timezone

from absences.models import Register
from ent.notify.models import Notification
from ent.timetable import actions
from ent.timetable.models import Change
from ent.timetable.tasks import remind_registers
from tests.timetable.conftest import make_slot

pytestmark = pytest.mark.django_db


def at(hour, minute):
    return timezone.make_aware(dt.datetime(2026, 10, 5, hour, minute))


@pytest.fixture
def slot(world):
    return make_slot(world.school, klass=world.klass, subject=world.subject, teachers=[world.teacher])


def reminders(user):
    return Notification.objects.filter(recipient=user, kind="timetable.register_reminder").count()


def test_fifteen_minutes_after_the_start_the_teacher_is_reminded_exactly_once(world, slot):
    assert actions.do_remind_registers(at(8, 14)) == 0
    assert actions.do_remind_registers(at(8, 15)) == 1
    assert actions.do_remind_registers(at(8, 20)) == 0
    assert actions.do_remind_registers(at(8, 40)) == 0
    assert reminders(world.teacher) == 1
    assert reminders(world.other_teacher) == 0


def test_a_taken_register_or_a_cancelled_lesson_reminds_nobody(world, slot):
    Register.objects.create(
        school=world.school,
        school_class=world.klass,
        date=dt.date(2026, 10, 5),
        half_day="am",
        starts_at=dt.time(8, 0),
        ends_at=dt.time(8, 55),
        state=Register.State.DONE,
    )
    other = make_slot(world.school, klass=world.other_class, teachers=[world.other_teacher], start=(8, 0))
    Change.objects.create(school=world.school, slot=other, date=dt.date(2026, 10, 5), kind=Change.Kind.CANCELLED)
    assert actions.do_remind_registers(at(8, 30)) == 0
    assert Notification.objects.count() == 0


def test_the_task_runs_the_action(world, slot, monkeypatch):
    monkeypatch.setattr(timezone, "localtime", lambda *a, **k: at(8, 30))
    remind_registers.delay()
    assert reminders(world.teacher) == 1
