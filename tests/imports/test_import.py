"""Imports end to end on real-shaped files: preview, apply, re-import, bad input."""

import pytest
from django.core.cache import cache

from ent.directory.auth_backends import CachedModelBackend
from ent.directory.models import Enrollment, Guardianship, ImportJob, SchoolClass, StaffRole, TeachingAssignment, User
from ent.errors import FileRefused
from tests.imports import samples

pytestmark = pytest.mark.django_db


def summary(job):
    return {k: job.summary[k] for k in ("created", "updated", "unchanged", "deactivated")}


def test_onde_primary_import_creates_pupils_guardians_and_classes(primary, run_import):
    job = run_import(primary, samples.onde(), apply=False)
    assert job.status == ImportJob.Status.READY
    assert job.errors == []
    # Preview only: nothing written yet.
    assert not User.objects.filter(external_id="123456789AB").exists()
    by_entity = job.summary["by_entity"]
    assert by_entity["pupil"] == {"create": 3}
    assert by_entity["guardian"] == {"create": 3}  # Claire is one person for two children
    assert by_entity["class"] == {"create": 2}

    job = run_import(primary, samples.onde())
    assert job.status == ImportJob.Status.APPLIED
    emile = User.objects.get(external_id="123456789AB")
    assert (emile.first_name, emile.username, emile.has_usable_password()) == ("Émile", "emile.dupont", False)
    claire = User.objects.get(email="claire.dupont@example.org")
    assert set(Guardianship.objects.filter(guardian=claire).values_list("pupil__first_name", flat=True)) == {
        "Émile",
        "Rose",
    }
    ce2 = SchoolClass.objects.get(school=primary, name="CE2")
    assert ce2.level == "CE2"
    assert set(Enrollment.objects.filter(school_class=ce2).values_list("pupil__first_name", flat=True)) == {
        "Émile",
        "Lê",
    }
    # The new guardian sees their children: access derives from the rows.
    assert claire.roles.child_ids == {emile.id, User.objects.get(external_id="123456789AC").id}


def test_siecle_secondary_import(secondary, run_import):
    job = run_import(secondary, samples.siecle())
    assert job.status == ImportJob.Status.APPLIED, job.errors
    assert job.detected_format
    ana = User.objects.get(external_id="0987654323X")
    assert ana.first_name == "Ana Lúcia"
    klass = SchoolClass.objects.get(school=secondary, name="5E A")
    assert klass.level == "5e"
    assert Enrollment.objects.filter(school_class=klass).count() == 2


def test_reimport_changes_nothing(primary, run_import):
    run_import(primary, samples.onde())
    counts = (User.objects.count(), Guardianship.objects.count(), Enrollment.objects.count())
    job = run_import(primary, samples.onde())
    assert job.status == ImportJob.Status.APPLIED
    assert summary(job) == {"created": 0, "updated": 0, "unchanged": 6, "deactivated": 0}
    assert (User.objects.count(), Guardianship.objects.count(), Enrollment.objects.count()) == counts
    # The same file in UTF-8 with commas is the same data.
    utf8 = samples.onde(encoding="utf-8").replace(b";", b",")
    assert summary(run_import(primary, utf8, apply=False))["created"] == 0


def test_reimport_updates_moves_and_deactivates(primary, run_import):
    run_import(primary, samples.onde())
    rows = [
        samples.ONDE_ROWS[0].replace("CE2;CE2;3", "CE2;CM1;3").replace("06 12 34 56 78", "06 00 00 00 01"),
        samples.ONDE_ROWS[1],
    ]  # Émile moved to CM1 and his mother's phone changed; Lê is gone
    job = run_import(primary, samples.onde(rows), scope=ImportJob.Scope.SCHOOL)
    assert job.status == ImportJob.Status.APPLIED
    assert summary(job)["deactivated"] == 1
    emile = User.objects.get(external_id="123456789AB")
    assert emile.roles.pupil_class_ids == {SchoolClass.objects.get(school=primary, name="CM1").id}
    assert User.objects.get(email="claire.dupont@example.org").phone == "+33600000001"
    le = User.objects.get(external_id="123456789AD")
    assert Enrollment.objects.get(pupil=le).left_on is not None
    assert not le.roles.is_pupil


def test_bad_file_is_reported_and_nothing_applied(primary, run_import):
    rows = [
        samples.ONDE_ROWS[0],
        samples.ONDE_ROWS[0],  # the same pupil twice
        "MARTIN;;31/02/2017;M;;CE2;CE2;3;;;;;;;;;;",  # no first name, no such date
        samples.ONDE_ROWS[2].replace("CE2;CE2;3", "CE2;CE2;3"),
    ]
    header = samples.ONDE_HEADER + ";Couleur préférée"
    job = run_import(primary, samples.onde(rows, header=header))
    assert job.status == ImportJob.Status.READY and not job.can_apply
    found = {(e["line"], e["field"], e["code"]) for e in job.errors}
    assert (3, "ine", "duplicate_pupil") in found
    assert (4, "first_name", "required") in found
    assert (4, "birth_date", "bad_date") in found
    assert {(w["field"], w["code"]) for w in job.warnings} == {("header", "unknown_column")}
    assert not User.objects.filter(external_id__startswith="123456789").exists()


def test_rows_of_another_school_and_their_guardians(primary, secondary, run_import):
    header = samples.ONDE_HEADER + ";UAI"
    rows = [
        samples.ONDE_ROWS[0] + f";{primary.uai}",
        samples.ONDE_ROWS[1] + f";{secondary.uai}",  # same mother, pupil of another school
    ]
    job = run_import(primary, samples.onde(rows, header=header))
    found = {(e["line"], e["field"], e["code"]) for e in job.errors}
    assert (3, "uai", "other_school_row") in found
    assert (2, "g1_last_name", "guardian_other_school") in found
    assert not job.can_apply


def test_pupil_enrolled_in_another_school_is_an_error(primary, secondary, run_import):
    run_import(secondary, samples.onde(samples.ONDE_ROWS[:1]))
    job = run_import(primary, samples.onde(samples.ONDE_ROWS[:1]))
    assert [(e["field"], e["code"]) for e in job.errors] == [("ine", "enrolled_elsewhere")]


def test_binary_and_wrong_encoding(primary, run_import):
    # A binary file is refused at the file gate (ent/files.py) before it is stored.
    with pytest.raises(FileRefused):
        run_import(primary, b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert not ImportJob.objects.exists()
    job = run_import(primary, b"Nom;Pr\x81nom\x8d;Classe\n")
    assert [e["code"] for e in job.errors] == ["encoding"]


def test_staff_import_sts(secondary, run_import):
    run_import(secondary, samples.siecle())
    job = run_import(secondary, samples.sts(), kind=ImportJob.Kind.STAFF)
    assert job.status == ImportJob.Status.APPLIED, job.errors
    leroux = User.objects.get(email="m.leroux@example.org")
    assert TeachingAssignment.objects.filter(teacher=leroux).count() == 2
    assert leroux.roles.is_teacher
    perrin = User.objects.get(email="s.perrin@example.org")
    assert StaffRole.objects.filter(user=perrin, school=secondary, role="secretary").exists()
    again = run_import(secondary, samples.sts(), kind=ImportJob.Kind.STAFF)
    assert summary(again) == {"created": 0, "updated": 0, "unchanged": 3, "deactivated": 0}
    # The whole-school scope removes those missing from the file, never the importer.
    job = run_import(secondary, samples.sts(samples.STS_ROWS[:1]), kind=ImportJob.Kind.STAFF, scope="school")
    assert job.status == ImportJob.Status.APPLIED
    assert not TeachingAssignment.objects.filter(teacher__email="p.blanc@example.org").exists()
    assert not StaffRole.objects.filter(user=perrin).exists()
    assert StaffRole.objects.filter(user=secondary.director).exists()


def test_large_file_preview_and_apply(primary, run_import, django_assert_max_num_queries):
    rows = []
    for i in range(1000):
        rows.append(
            f"NOM{i};Prénom{i};01/01/2017;F;{i:09d}ZZ;CE1;CE1 {i % 4};2;PARENT{i};Mère{i};p{i}@example.org;"
            f"06 00 00 {i % 100:02d} {i % 97:02d};MERE;PARENT{i};Père{i};;;PERE"
        )
    job = run_import(primary, samples.onde(rows))
    assert job.status == ImportJob.Status.APPLIED, job.errors[:3]
    assert job.summary["by_entity"]["pupil"] == {"create": 1000}
    assert User.objects.filter(username__startswith="prenom").count() == 1000
    assert job.processed_rows == job.total_rows == 1000


def test_an_import_that_updates_people_forgets_their_cached_rows(primary, run_import, settings):
    # The update is a bulk_update (no signal): the import forgets the rows itself.
    settings.AUTH_USER_CACHE_SECONDS = 300
    cache.clear()
    run_import(primary, samples.onde())
    mother = User.objects.get(email="claire.dupont@example.org")
    assert CachedModelBackend().get_user(mother.pk).phone == "+33612345678"
    rows = [samples.ONDE_ROWS[0].replace("06 12 34 56 78", "06 00 00 00 01"), *samples.ONDE_ROWS[1:]]
    job = run_import(primary, samples.onde(rows), scope=ImportJob.Scope.SCHOOL)
    assert job.status == ImportJob.Status.APPLIED
    assert CachedModelBackend().get_user(mother.pk).phone == "+33600000001"
