"""The timetable import through the one file gate (ent/files.py
TIMETABLE_IMPORT): type by content, the size policy and clamd, before the file
is parsed or stashed for its preview. An infected file is refused with a clear
message and nothing is read, stashed or written."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ent import files
from ent.timetable import actions
from ent.timetable.models import Slot
from tests.clamd import EICAR
from tests.factories import make_subject
from tests.security import hostile_files as hf

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"
CSV = (SAMPLES / "emploi_du_temps.csv").read_bytes()
XML = (SAMPLES / "sts_emp_0250099X_2026.xml").read_bytes()


@pytest.fixture
def office(world, client, login_as, av):
    make_subject(world.school, "LAT", "Latin")
    login_as(world.direction)
    return client


def _url(world):
    return reverse("timetable:import", args=[world.school.id])


def test_a_clean_csv_and_the_sts_xml_pass_the_gate_and_are_previewed(world, office):
    page = office.post(_url(world), {"file": SimpleUploadedFile("edt.csv", CSV, "text/csv")})
    assert page.status_code == 200 and page.context["token"]
    page = office.post(_url(world), {"file": SimpleUploadedFile("sts_emp_0250099X_2026.xml", XML, "text/xml")})
    assert page.context["form"].errors == {} and page.context["preview"] is not None


def test_an_infected_file_is_refused_with_a_clear_message_and_nothing_is_read(world, office, monkeypatch):
    parsed = []
    monkeypatch.setattr(actions.imports, "parse", lambda data: parsed.append(data))
    stashed = []
    monkeypatch.setattr(actions, "do_stash_upload", lambda *a: stashed.append(a))
    page = office.post(_url(world), {"file": SimpleUploadedFile("edt.csv", CSV + EICAR + b"\n", "text/csv")})
    assert page.status_code == 400
    assert "antivirus found a threat in “edt.csv”" in page.content.decode()
    assert page.context["preview"] is None and page.context["token"] is None
    assert parsed == [] and stashed == [] and not Slot.objects.exists()


def test_the_infected_message_in_french(world, office):
    office.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    page = office.post(_url(world), {"file": SimpleUploadedFile("edt.csv", EICAR, "text/csv")})
    assert page.status_code == 400 and "L’antivirus a trouvé une menace" in page.content.decode()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("edt.csv", hf.WINDOWS_EXE, "is a program"),
        ("edt.xlsx", None, "not of an accepted type"),
        ("edt.pdf", CSV, "does not match its name"),
        ("edt.png", hf.PNG, "not of an accepted type"),
    ],
)
def test_wrong_files_are_refused_by_content_before_any_scan(world, office, monkeypatch, name, content, message):
    if content is None:
        from tests.file_gate import docx

        content = docx().replace(b"word/", b"xl/d/")
    scanned = []
    monkeypatch.setattr(files, "scan_stream", lambda s, **k: scanned.append(s) or (True, ""))
    page = office.post(_url(world), {"file": SimpleUploadedFile(name, content)})
    assert page.status_code == 400 and message in page.content.decode(), page.content.decode()[-1500:]
    assert scanned == [] and page.context["token"] is None and not Slot.objects.exists()


def test_over_the_size_policy_is_refused(world, office, settings):
    settings.TIMETABLE_IMPORT_MAX_BYTES = 1000
    page = office.post(_url(world), {"file": SimpleUploadedFile("edt.csv", CSV * 10, "text/csv")})
    assert page.status_code == 400 and "too large" in page.content.decode()


def test_clamd_down_reads_nothing_and_says_to_try_again(world, office, settings, monkeypatch):
    settings.CLAMD_SOCKET = "/nonexistent/clamd.sock"
    parsed = []
    monkeypatch.setattr(actions.imports, "parse", lambda data: parsed.append(data))
    page = office.post(_url(world), {"file": SimpleUploadedFile("edt.csv", CSV, "text/csv")})
    assert page.status_code == 400 and "Try again in a few minutes" in page.content.decode()
    assert parsed == [] and not Slot.objects.exists()


def test_the_gate_does_not_let_another_school_in(world, client, login_as, av):
    login_as(world.staff_b)
    page = client.post(_url(world), {"file": SimpleUploadedFile("edt.csv", CSV, "text/csv")})
    assert page.status_code == 404 and not Slot.objects.exists()
