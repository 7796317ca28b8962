"""Every CSV the product writes goes through ent/csvwriter.py, which neutralises
spreadsheet formulas (issue 24, item 3): cells starting with = + - @ (or a tab or
carriage return) get a leading apostrophe."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.urls import reverse

from ent import csvwriter
from ent.directory.models import ImportJob

ROOT = Path(__file__).resolve().parents[2]
FORMULAS = ['=HYPERLINK("https://evil.example/?x","Cliquez")', "+1+1", "-2+3", "@SUM(A1:A9)"]
CONTROL = ["\tTAB=1+1", "\r=1+1"]


@pytest.mark.parametrize("value", FORMULAS + CONTROL)
def test_a_formula_becomes_text(value):
    assert csvwriter.safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Martin", "Léa = ok", "", None, 12, -3, 2.5, "1+1"])
def test_other_cells_are_written_as_they_are(value):
    assert csvwriter.safe_cell(value) == ("" if value is None else str(value))


def test_no_other_csv_writer_in_the_product():
    """A new export must use the one writer: a bare csv.writer would lose the guard."""
    found = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "tests/")) or relative == "ent/csvwriter.py":
            continue
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8")):
            found.append(relative)
    assert found == []


def _rows(content: str):
    return list(csv.reader(io.StringIO(content.lstrip("\ufeff")), delimiter=";"))


@pytest.mark.django_db
def test_the_import_report_neutralises_names_and_fields(world, client, login_as):
    login_as(world.direction)
    job = ImportJob.objects.create(
        school=world.school,
        kind="pupils",
        status="ready",
        changes=[
            {"line": i + 2, "action": "create", "entity": "pupil", "label": value, "fields": [value]}
            for i, value in enumerate(FORMULAS)
        ],
    )
    response = client.get(reverse("import_report", args=[job.id]))
    assert response.status_code == 200
    rows = _rows(response.content.decode("utf-8"))
    assert [r[3] for r in rows[1:]] == ["'" + v for v in FORMULAS]
    assert [r[4] for r in rows[1:]] == ["'" + v for v in FORMULAS]
    assert [r[0] for r in rows[1:]] == ["2", "3", "4", "5"]  # numbers stay numbers


@pytest.mark.django_db
@pytest.mark.parametrize("value", FORMULAS)
def test_the_absences_export_neutralises_every_prefix(value, world, login_as, client):
    import datetime as dt

    from django.utils import timezone

    from absences import actions

    register = actions.do_open_register(
        world.teacher,
        target=world.klass,
        day=timezone.localdate(),
        starts_at=dt.time(9, 0),
        ends_at=dt.time(9, 55),
        manager=False,
    )
    actions.do_save_register(world.teacher, register, {world.pupil.id: ("absence", None)}, finish=True)
    world.pupil.last_name = value
    world.pupil.first_name = value
    world.pupil.save()
    login_as(world.vie_scolaire)
    today = timezone.localdate().isoformat()
    response = client.get(reverse("absences:export", args=[world.school.id]), {"start": today, "end": today})
    assert response.status_code == 200
    rows = _rows(b"".join(response.streaming_content).decode("utf-8"))
    assert rows[1][4] == rows[1][5] == "'" + value
