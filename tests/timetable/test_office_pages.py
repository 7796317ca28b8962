"""The office's pages: upload → preview → apply, and one-off changes."""

from datetime import date, time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ent.timetable.models import Change, Slot
from tests.factories import make_subject
from tests.timetable.conftest import make_slot

pytestmark = pytest.mark.django_db

CSV = (Path(__file__).parent / "samples" / "emploi_du_temps.csv").read_bytes()


@pytest.fixture
def office(world, client, login_as, av):  # uploads pass the antivirus (ent/files.py)
    make_subject(world.school, "LAT", "Latin")
    login_as(world.direction)
    return client


def test_upload_preview_then_apply(world, office):
    url = reverse("timetable:import", args=[world.school.id])
    page = office.post(url, {"file": SimpleUploadedFile("edt.csv", CSV, "text/csv")})
    assert page.status_code == 200 and Slot.objects.count() == 0
    token = page.context["token"]
    assert page.context["preview"].created == 4
    response = office.post(url, {"token": token})
    assert response.status_code == 302 and Slot.objects.count() == 4
    # The same preview cannot be applied twice.
    assert office.post(url, {"token": token}).status_code == 302
    assert Slot.objects.count() == 4


def test_a_bad_file_shows_its_issues_and_offers_no_apply(world, office):
    url = reverse("timetable:import", args=[world.school.id])
    bad = CSV.replace(b"6e A", b"6e Z", 1)
    page = office.post(url, {"file": SimpleUploadedFile("edt.csv", bad, "text/csv")})
    assert page.status_code == 400 and page.context["token"] is None
    assert "6e Z" in page.content.decode()
    assert office.post(url, {"token": "forged"}).status_code == 302
    assert Slot.objects.count() == 0


def test_recording_a_change_and_refusing_one_with_a_reason(world, office, monkeypatch):
    slot = make_slot(world.school, klass=world.klass, teachers=[world.teacher], start=(8, 0), end=(8, 55))
    url = reverse("timetable:changes", args=[world.school.id])
    data = {"kind": "room", "slot": slot.id, "date": "2026-10-05", "room": "21"}
    assert office.post(url, data).status_code == 302
    assert Change.objects.get().room == "21"
    # A Tuesday: the Monday lesson is not held that day.
    response = office.post(url, data | {"date": "2026-10-06"})
    assert response.status_code == 400 and "not held" in response.content.decode()
    # Without the room it asks for it.
    response = office.post(url, {"kind": "room", "slot": slot.id, "date": "2026-10-05"})
    assert response.status_code == 400 and Change.objects.count() == 1


def test_a_taken_register_cannot_be_cancelled(world, office):
    from absences.models import Register

    slot = make_slot(world.school, klass=world.klass, teachers=[world.teacher])
    Register.objects.create(
        school=world.school,
        school_class=world.klass,
        date=date(2026, 10, 5),
        half_day="am",
        starts_at=time(8, 0),
        ends_at=time(8, 55),
        state=Register.State.DONE,
    )
    url = reverse("timetable:changes", args=[world.school.id])
    response = office.post(url, {"kind": "cancelled", "slot": slot.id, "date": "2026-10-05"})
    assert response.status_code == 400 and "already taken" in response.content.decode()
    assert not Change.objects.exists()


def test_direction_withdraws_a_change(world, office):
    slot = make_slot(world.school, klass=world.klass)
    change = Change.objects.create(school=world.school, slot=slot, date=date(2026, 10, 5), kind="cancelled")
    assert office.post(reverse("timetable:change_withdraw", args=[change.id])).status_code == 302
    assert not Change.objects.exists()
    assert office.get(reverse("timetable:change_withdraw", args=[change.id])).status_code == 405
