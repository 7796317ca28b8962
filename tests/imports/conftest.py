import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ent.directory.imports import jobs
from ent.directory.models import ImportJob, School
from tests.factories import make_school, make_staff, make_territory


@pytest.fixture
def primary(db):
    territory = make_territory()
    school = make_school(territory, kind=School.Kind.PRIMARY, name="École des Tilleuls")
    school.director = make_staff(school, "direction", "dir_tilleuls")
    return school


@pytest.fixture
def secondary(primary):
    school = make_school(primary.territory, kind=School.Kind.SECONDARY, name="Collège Aubrac")
    school.director = make_staff(school, "direction", "dir_aubrac")
    return school


@pytest.fixture
def run_import(s3, django_capture_on_commit_callbacks):
    """Upload → preview → (apply), through the real actions and the eager tasks."""

    def _run(school, data: bytes, *, kind=ImportJob.Kind.PUPILS, scope=ImportJob.Scope.CLASSES, apply=True, by=None):
        by = by or school.director
        upload = SimpleUploadedFile("export.csv", data, content_type="text/csv")
        with django_capture_on_commit_callbacks(execute=True):
            job = jobs.do_start_import(school, by=by, upload=upload, kind=kind, scope=scope)
        job.refresh_from_db()
        if apply and job.can_apply:
            with django_capture_on_commit_callbacks(execute=True):
                jobs.do_request_apply(job, by=by)
            job.refresh_from_db()
        return job

    return _run
