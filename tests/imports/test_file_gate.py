"""CSV imports through the one file gate: the preview waits for clamd, a file
carrying a threat is refused (the job fails with the reason, nothing is read
nor imported, the uploader is told), a spreadsheet or a program is refused at
the form with a clear message."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from ent import files
from ent.directory.imports import jobs
from ent.directory.imports.messages import issue_message
from ent.directory.models import ImportJob, User
from tests.clamd import EICAR
from tests.file_gate import infected_notices
from tests.imports import samples
from tests.security import hostile_files as hf

pytestmark = pytest.mark.django_db


def start(school, data, name="eleves.csv"):
    return jobs.do_start_import(
        school,
        by=school.director,
        upload=SimpleUploadedFile(name, data, content_type="text/csv"),
        kind=ImportJob.Kind.PUPILS,
        scope=ImportJob.Scope.CLASSES,
    )


def test_csv_with_eicar_is_refused_nothing_is_imported_and_the_uploader_is_told(
    secondary, s3, django_capture_on_commit_callbacks
):
    data = samples.siecle() + EICAR + b"\n"
    users_before = User.objects.count()
    with django_capture_on_commit_callbacks() as callbacks:
        job = start(secondary, data)
    job.refresh_from_db()
    assert job.scan == files.ScanState.HELD and job.status == ImportJob.Status.PENDING
    # Run the scan as the commit would, with what it schedules in turn.
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    job.refresh_from_db()
    assert job.scan == files.ScanState.INFECTED and job.status == ImportJob.Status.FAILED
    assert [e["code"] for e in job.errors] == ["infected"] and job.total_rows == 0
    with translation.override("fr"):
        assert "antivirus" in str(issue_message(job.errors[0]))
    assert s3.stat(job.file_key) is None
    assert User.objects.count() == users_before
    assert not job.can_apply
    (told,) = infected_notices(secondary.director)
    assert told.url.endswith(reverse("import_detail", args=[job.id]))


def test_clean_csv_is_previewed_once_offered(secondary, s3, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        job = start(secondary, samples.siecle())
    # Held: the preview has not run, and reading it now gives nothing.
    assert job.status == ImportJob.Status.PENDING
    job.refresh_from_db()
    with pytest.raises(jobs.StorageUnavailable):
        jobs._read(job)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    job.refresh_from_db()
    assert job.scan == files.ScanState.OFFERED and job.status == ImportJob.Status.READY and job.total_rows == 3


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("eleves.xlsx", None, "tableur"),
        ("eleves.csv", hf.WINDOWS_EXE, "programme"),
        ("eleves.pdf", samples.siecle(), "ne correspond pas"),
        ("eleves.csv", b"", "vide"),
    ],
)
def test_bad_files_are_refused_at_the_form(secondary, s3, client, login_as, name, content, message):
    if content is None:
        import io
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("[Content_Types].xml", "<Types/>")
            z.writestr("xl/workbook.xml", "<workbook/>")
        content = buffer.getvalue()
    login_as(secondary.director)
    response = client.post(
        reverse("import_start", args=[secondary.id]),
        {"kind": "pupils", "scope": "classes", "file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 200
    text = response.content.decode().replace("&#x27;", "'")
    assert message in text or (message == "vide" and "vide" in text.lower())
    assert not ImportJob.objects.exists() and list(s3.list_keys("imports/")) == []
