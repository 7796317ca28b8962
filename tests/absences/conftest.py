"""Fixtures for the absences tests: reasons, a fixed school day, and helpers that
build registers and notices through the real actions."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from absences import actions
from absences.models import HalfDay, Reason
from tests.factories import make_pupil

PARIS = ZoneInfo("Europe/Paris")
# A Monday of the test world's school year (2026-2027), mid-morning.
MONDAY = dt.datetime(2026, 10, 5, 10, 0, tzinfo=PARIS)


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def make_reasons(school):
    rows = {
        "illness": {"label": "Maladie", "is_private": True, "settles": True},
        "doctor": {"label": "Rendez-vous médical", "is_private": True, "needs_proof": True, "settles": True},
        "family": {"label": "Raison familiale"},
        "trip": {"label": "Sortie scolaire", "settles": True},
        "convenience": {"label": "Convenance personnelle", "counts_as_justified": False},
    }
    return {key: Reason.objects.create(school=school, **fields) for key, fields in rows.items()}


@pytest.fixture
def reasons(world):
    return make_reasons(world.school)


@pytest.fixture
def open_register(world):
    """A register of world.klass today at `hour` (secondary school: one lesson)."""

    def _open(hour=9, *, by=None, target=None, day=None, manager=False):
        import django.utils.timezone as tz

        return actions.do_open_register(
            by or world.teacher,
            target=target or world.klass,
            day=day or tz.localdate(),
            starts_at=dt.time(hour, 0),
            ends_at=dt.time(hour, 55),
            manager=manager,
        )

    return _open


def declare(world, reason, start, end, *, by=None, start_half=HalfDay.MORNING, end_half=HalfDay.AFTERNOON, **extra):
    enrollment = actions_enrollment(world.pupil)
    data = {
        "start_date": start,
        "start_half_day": start_half,
        "end_date": end,
        "end_half_day": end_half,
        "reason": reason,
        "comment": "",
        **extra,
    }
    return actions.do_declare_notice(by or world.guardian, world.pupil, enrollment, data=data)


def actions_enrollment(pupil):
    from absences.access import current_enrollment

    return current_enrollment(pupil.id)


def add_pupils(klass, n):
    return [make_pupil(klass, first_name=f"P{i:02d}", last_name=f"Extra{i:02d}") for i in range(n)]
