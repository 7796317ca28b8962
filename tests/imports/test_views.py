"""The import pages: who may use them, wrong method, bad input, progress."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ent.directory.models import ImportJob, User
from tests.imports import samples

pytestmark = pytest.mark.django_db


def upload(client, school, data, name="eleves.csv", kind="pupils", scope="classes"):
    return client.post(
        reverse("import_start", args=[school.id]),
        {"kind": kind, "scope": scope, "file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def test_staff_uploads_previews_and_applies(world, client, login_as, s3, django_capture_on_commit_callbacks):
    login_as(world.direction)
    assert client.get(reverse("import_start", args=[world.school.id])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, world.school, samples.siecle())
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("import_detail", args=[job.id])
    page = client.get(response.url).content.decode()
    assert "Apply these changes" in page or "Appliquer ces modifications" in page
    status = client.get(reverse("import_status", args=[job.id])).json()
    assert status == {"status": "ready", "running": False, "processed": 3, "total": 3, "percent": 100}
    assert not User.objects.filter(external_id="0987654321Z").exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import_apply", args=[job.id]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.APPLIED
    assert User.objects.filter(external_id="0987654321Z").exists()
    report = client.get(reverse("import_report", args=[job.id]))
    assert report["Content-Type"].startswith("text/csv")
    assert "LEFEVRE" in report.content.decode()
    # Applying twice does nothing more.
    response = client.post(reverse("import_apply", args=[job.id]), follow=True)
    assert response.status_code == 200


def test_preview_with_errors_cannot_be_applied(world, client, login_as, s3, django_capture_on_commit_callbacks):
    login_as(world.vie_scolaire)
    rows = [samples.SIECLE_ROWS[0], "MOREAU,,99/99/2013,0987654322Y,4E B,4EME,,,,,"]
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, world.school, samples.siecle(rows))
    job = ImportJob.objects.get()
    page = client.get(reverse("import_detail", args=[job.id])).content.decode()
    assert 'id="import-errors"' in page
    assert "99/99/2013" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_apply", args=[job.id]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY
    assert not User.objects.filter(external_id="0987654321Z").exists()


@pytest.mark.parametrize(
    "data, message",
    [
        (b"PK\x03\x04" + b"\x00" * 64, "spreadsheet"),
        # A program gets the one file gate's message for programs.
        (b"\x7fELF\x02\x01" + b"\x00" * 64, "program"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not a CSV"),
        (b"", "empty"),
    ],
)
def test_bad_uploads_are_refused_with_a_message(world, client, login_as, data, message, settings):
    settings.LANGUAGE_CODE = "en"
    login_as(world.direction)
    response = upload(client, world.school, data)
    assert response.status_code == 200
    assert message in response.content.decode().lower() or message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_too_big_upload(world, client, login_as, monkeypatch):
    from ent.directory.imports import parsing

    monkeypatch.setattr(parsing, "MAX_BYTES", 1024)
    login_as(world.direction)
    response = upload(client, world.school, samples.onde() * 20)
    assert response.status_code == 200
    assert not ImportJob.objects.exists()
    assert "MB" in response.content.decode() or "Mo" in response.content.decode()


def test_store_down_records_nothing(world, client, login_as, settings):
    from ent import storage

    settings.S3_ENDPOINT = "127.0.0.1:9"  # nothing listens there
    storage.reset_clients()
    try:
        login_as(world.direction)
        response = upload(client, world.school, samples.siecle())
    finally:
        storage.reset_clients()
    assert response.status_code == 200
    assert not ImportJob.objects.exists()


def test_staff_cannot_import_into_another_school(world, client, login_as):
    login_as(world.staff_b)
    response = upload(client, world.school, samples.siecle())
    assert response.status_code == 404
    assert not ImportJob.objects.exists()
    job = ImportJob.objects.create(school=world.school, kind="pupils", status="ready")
    for name in ("import_detail", "import_status", "import_report"):
        assert client.get(reverse(name, args=[job.id])).status_code == 404
    assert client.post(reverse("import_apply", args=[job.id])).status_code == 404
    job.refresh_from_db()
    assert job.status == "ready"


def test_wrong_methods(world, client, login_as):
    login_as(world.direction)
    job = ImportJob.objects.create(school=world.school, kind="pupils", status="ready")
    assert client.get(reverse("import_apply", args=[job.id])).status_code == 405
    assert client.post(reverse("import_status", args=[job.id])).status_code == 405
    assert client.delete(reverse("import_start", args=[world.school.id])).status_code == 405


def test_running_job_shows_progress_and_refresh_button(world, client, login_as):
    login_as(world.direction)
    job = ImportJob.objects.create(
        school=world.school, kind="pupils", status="previewing", total_rows=5000, processed_rows=1200
    )
    page = client.get(reverse("import_detail", args=[job.id])).content.decode()
    assert "<progress" in page and 'value="24"' in page
    assert "directory/import.js" in page
    assert client.get(reverse("import_status", args=[job.id])).json()["percent"] == 24


def test_detail_query_count_does_not_grow(world, client, login_as, django_assert_max_num_queries):
    login_as(world.direction)
    small = ImportJob.objects.create(
        school=world.school,
        kind="pupils",
        status="ready",
        changes=[{"line": 2, "action": "create", "entity": "pupil", "label": "A", "fields": []}],
        errors=[{"line": 2, "field": "ine", "code": "bad_ine", "params": {"value": "x"}}],
    )
    big = ImportJob.objects.create(
        school=world.school,
        kind="pupils",
        status="ready",
        changes=[{"line": i, "action": "create", "entity": "pupil", "label": "A", "fields": []} for i in range(2000)],
        errors=[{"line": i, "field": "ine", "code": "bad_ine", "params": {"value": "x"}} for i in range(500)],
    )
    counts = []
    for job in (small, big):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.get(reverse("import_detail", args=[job.id]))  # warm the person's caches (row, roles)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("import_detail", args=[job.id])).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(counts[0]):
        client.get(reverse("import_detail", args=[big.id]))
