from datetime import time

import pytest

from ent.timetable.models import Slot
from tests.factories import current_year


def make_slot(
    school,
    *,
    klass=None,
    group=None,
    weekday=0,
    start=(8, 0),
    end=(8, 55),
    subject=None,
    teachers=(),
    room="12",
    weeks="all",
    half_day="",
):
    slot = Slot.objects.create(
        school=school,
        year=current_year(school),
        weekday=weekday,
        starts_at=time(*start),
        ends_at=time(*end),
        subject=subject,
        school_class=klass,
        group=group,
        room=room,
        weeks=weeks,
        half_day=half_day,
    )
    slot.teachers.set(teachers)
    return slot


@pytest.fixture
def slot_maker():
    return make_slot


@pytest.fixture(autouse=True)
def _english(client):
    """Messages are asserted in English (the source strings): the actions'
    and the pages' (asked for in English, as a browser set to English does)."""
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield
