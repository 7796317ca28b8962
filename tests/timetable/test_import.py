"""Importing a timetable: the STS-web XML sample and the CSV, the dry run's
line/field issues, applying, and re-importing the same file (no change)."""

from pathlib import Path

import pytest

from ent.directory.models import AuditEntry
from ent.errors import TimetableError
from ent.timetable import actions, imports
from ent.timetable.models import Slot
from tests.factories import current_year, make_subject

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"
STS = (SAMPLES / "sts_emp_0250099X_2026.xml").read_bytes()
CSV = (SAMPLES / "emploi_du_temps.csv").read_bytes()


@pytest.fixture
def school(world):
    make_subject(world.school, "LAT", "Latin")
    return world.school


def messages(result):
    return [(e["line"], e["field"], e["message"]) for e in result.errors]


@pytest.mark.parametrize("data", [STS, CSV], ids=["sts", "csv"])
def test_the_sample_reads_and_applies_then_reimporting_changes_nothing(world, school, data):
    year = current_year(school)
    dry = actions.check_import(data, school, year)
    assert messages(dry) == [] and (dry.created, dry.updated, dry.removed) == (4, 0, 0)
    assert Slot.objects.count() == 0  # a dry run writes nothing
    actions.do_import_timetable(world.vie_scolaire, school, year, data)
    slots = list(Slot.objects.order_by("weekday", "starts_at"))
    assert [(s.weekday, s.starts_at.hour, s.room, s.weeks) for s in slots] == [
        (0, 8, "12", "all"),
        (2, 9, "14", "all"),
        (3, 10, "12", "all"),
        (4, 14, "B2", "A"),
    ]
    assert slots[1].group == world.group and slots[0].school_class == world.klass
    assert list(slots[0].teachers.all()) == [world.teacher]
    again = actions.do_import_timetable(world.vie_scolaire, school, year, data)
    assert (again.created, again.updated, again.removed, again.unchanged) == (0, 0, 0, 4)
    assert Slot.objects.count() == 4
    assert AuditEntry.objects.filter(action="timetable.import", school=school).count() == 2


def test_a_lesson_gone_from_the_file_is_removed_and_a_new_room_updated(world, school):
    year = current_year(school)
    actions.do_import_timetable(world.vie_scolaire, school, year, CSV)
    changed = CSV.replace(b"B2;A\n", b"B3;A\n").replace(b"mercredi;09:00;09:55;;Latin;LAT;LEROY Anne;14;\n", b"")
    result = actions.do_import_timetable(world.vie_scolaire, school, year, changed)
    assert (result.updated, result.removed) == (1, 1)
    assert sorted(Slot.objects.values_list("room", flat=True)) == ["12", "12", "B3"]


BAD_CSV = (
    b"jour;debut;fin;classe;groupe;matiere;professeurs;salle;semaine\n"
    b"lundi;08:00;08:55;6e Z;;MATH;LEROY Anne;12;\n"  # 2: unknown class
    b"lundi;08:00;08:55;6e A;;PHYS;LEROY Anne;12;\n"  # 3: unknown subject
    b"lundi;08:00;08:55;6e A;;MATH;DUPONT Jean;12;\n"  # 4: unknown teacher
    b"lundi;08:00;08:55;6e A;;MATH;LEROY Anne;12;C\n"  # 5: week C
    b"dimanche;08:00;08:55;6e A;;MATH;LEROY Anne;12;\n"  # 6: no lessons on Sunday
    b"mardi;09:00;08:00;6e A;;MATH;LEROY Anne;12;\n"  # 7: ends before it starts
    b"mardi;10:00;10:55;6e A;;MATH;LEROY Anne;12;\n"  # fine
    b"mardi;10:30;11:25;6e B;;MATH;LEROY Anne;15;\n"  # 9: the teacher is already busy
    b"mardi;10:30;11:25;6e B;;MATH;prof_autre_t;12;\n"  # 10: the room is already used
)


def test_the_dry_run_names_the_line_and_field_of_each_issue_and_nothing_is_written(world, school):
    result = actions.check_import(BAD_CSV, school, current_year(school))
    assert [(line, name) for line, name, _message in messages(result)] == [
        (5, "semaine"),
        (6, "jour"),
        (7, "fin"),
        (2, "classe"),
        (3, "matiere"),
        (4, "professeurs"),
        (9, "professeurs"),
        (10, "salle"),
    ]
    with pytest.raises(TimetableError):
        actions.do_import_timetable(world.vie_scolaire, school, current_year(school), BAD_CSV)
    assert Slot.objects.count() == 0


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", "empty"),
        (b"PK\x03\x04binary", "not a timetable file"),
        (b"<?xml version='1.0'?><FOO/>", "not an sts-web"),
        (b"<STS_EDT><unclosed>", "cannot be read"),
        (b"nom;prenom\nMartin;Lea\n", "columns"),
        (b"<!DOCTYPE x [<!ENTITY a SYSTEM 'file:///etc/passwd'>]><STS_EDT>&a;</STS_EDT>", ""),
    ],
)
def test_a_wrong_file_gets_one_clear_issue_never_a_crash(world, school, data, expected):
    parsed = imports.parse(data)
    assert parsed.rows == []
    if expected:
        assert expected in parsed.errors[0]["message"].lower()


def test_sts_week_codes_other_than_a_b_are_refused(world, school):
    bad = STS.replace(b"<CODE_ALTERNANCE>Q1</CODE_ALTERNANCE>", b"<CODE_ALTERNANCE>Q3</CODE_ALTERNANCE>")
    result = actions.check_import(bad, school, current_year(school))
    [(line, name, _message)] = messages(result)
    assert name == "CODE_ALTERNANCE" and line > 40
