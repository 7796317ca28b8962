"""Data export (contents, access) and the retention purges under frozen time."""

import io
import json
import urllib.request
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from ent.directory import privacy
from ent.directory.models import AuditEntry, DataExport, Enrollment, ImportJob, PurgeLog, User
from tests.factories import link_guardian, make_pupil, make_user

pytestmark = pytest.mark.django_db


def test_privacy_page_is_public(client):
    response = client.get(reverse("privacy"))
    assert response.status_code == 200
    assert "91" in response.content.decode() and "365" in response.content.decode()


def test_family_downloads_their_data(world, client, login_as, s3, django_capture_on_commit_callbacks):
    login_as(world.guardian)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy_export"))
    assert response.status_code == 302
    export = DataExport.objects.get(user=world.guardian)
    assert export.status == DataExport.Status.READY
    # The person is told, in the notification feed.
    from ent.notify.models import Notification

    assert Notification.objects.filter(recipient=world.guardian, kind="export.ready").exists()
    page = client.get(reverse("privacy_export")).content.decode()
    assert reverse("privacy_export_download", args=[export.id]) in page
    response = client.get(reverse("privacy_export_download", args=[export.id]))
    assert response.status_code == 302
    with urllib.request.urlopen(response.url, timeout=10) as fetched:
        archive = zipfile.ZipFile(io.BytesIO(fetched.read()))
    data = json.loads(archive.read("mes-donnees.json"))
    assert data["person"]["username"] == "parent_t"
    children = {c["person"]["username"] for c in data["children"]}
    assert children == {"eleve_t", "eleve_frere_t"}  # both children, never another family's
    html = archive.read("mes-donnees.html").decode()
    assert "Léa" in html and "Noé" not in html and "eleve_x_t" not in json.dumps(data)
    # Only the family: another parent, the other guardian, a teacher get 404.
    for other in (world.outsider_parent, world.guardian2, world.teacher):
        login_as(other)
        assert client.get(reverse("privacy_export_download", args=[export.id])).status_code == 404


def test_separated_parent_export_holds_only_linked_children(world):
    data = privacy.collect_personal_data(world.guardian2)
    assert [c["person"]["username"] for c in data["children"]] == ["eleve_t"]


def test_export_request_is_idempotent_while_pending(world):
    first = privacy.do_request_data_export(world.pupil)
    assert privacy.do_request_data_export(world.pupil) == first
    assert privacy.do_build_data_export(10**9) is None


def test_expired_export_is_not_downloadable(world, client, login_as):
    export = DataExport.objects.create(
        user=world.pupil, status="ready", key="exports/x.zip", expires_at=datetime(2020, 1, 1, tzinfo=UTC)
    )
    login_as(world.pupil)
    assert client.get(reverse("privacy_export_download", args=[export.id])).status_code == 404
    assert client.post(reverse("privacy_export_download", args=[export.id])).status_code == 405


def _leave(pupil, on):
    Enrollment.objects.filter(pupil=pupil).update(left_on=on)


def test_departed_accounts_are_deleted_three_months_after_leaving(world):
    _leave(world.outsider_pupil, date(2026, 10, 1))  # with their only parent
    _leave(world.pupil, date(2026, 10, 1))  # guardian keeps a child at école B
    with time_machine.travel(datetime(2026, 12, 15, tzinfo=UTC)):
        log = privacy.purge_departed_accounts()
        assert log.count == 0  # not yet three months
    with time_machine.travel(datetime(2027, 1, 5, tzinfo=UTC)):
        log = privacy.purge_departed_accounts()
    gone = {"eleve_x_t", "parent_x_t", "eleve_t", "parent2_t", "beauparent_t"}
    assert not User.objects.filter(username__in=gone).exists()
    assert User.objects.filter(username__in=["parent_t", "eleve_frere_t", "prof_t"]).count() == 3
    assert log.count == 5 and log.details["pupils"] == 2
    # Idempotent: a second run finds nothing, and is logged too.
    with time_machine.travel(datetime(2027, 1, 6, tzinfo=UTC)):
        assert privacy.purge_departed_accounts().count == 0
    assert PurgeLog.objects.filter(kind="departed_accounts").count() == 3


def test_staff_who_are_parents_are_kept(world):
    child = make_pupil(world.klass)
    link_guardian(world.teacher, child)
    _leave(child, date(2026, 9, 15))
    with time_machine.travel(datetime(2027, 3, 1, tzinfo=UTC)):
        privacy.purge_departed_accounts()
    assert not User.objects.filter(id=child.id).exists()
    assert User.objects.filter(id=world.teacher.id).exists()


def test_logs_and_audit_entries_older_than_a_year_are_purged(world, s3):
    # Rows are dated with frozen time; the store is written in real time (S3
    # signatures carry the clock), and the purge gets its "now" as an argument.
    s3.put_stream("imports/1/old.csv", io.BytesIO(b"x"), 1)
    s3.put_stream("imports/1/recent.csv", io.BytesIO(b"x"), 1)
    with time_machine.travel(datetime(2026, 1, 10, tzinfo=UTC)):
        AuditEntry.objects.create(action="old")
        ImportJob.objects.create(school=world.school, kind="pupils", file_key="imports/1/old.csv")
    with time_machine.travel(datetime(2026, 12, 1, tzinfo=UTC)):
        AuditEntry.objects.create(action="recent")
        recent = ImportJob.objects.create(school=world.school, kind="pupils", file_key="imports/1/recent.csv")
    now = datetime(2027, 1, 20, tzinfo=UTC)
    dry = privacy.purge_old_records(now, dry_run=True)
    assert dry.details["audit_entries"] == 1 and AuditEntry.objects.count() == 2
    log = privacy.purge_old_records(now)
    assert log.details["audit_entries"] == 1 and log.details["imports"] == 1
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["recent"]
    assert list(ImportJob.objects.all()) == [recent]
    # The recent job's file is past 30 days: the file goes, the job stays.
    recent.refresh_from_db()
    assert recent.file_key == "" and s3.stat("imports/1/recent.csv") is None
    again = privacy.purge_old_records(now)
    assert again.details["audit_entries"] == 0 and again.details["imports"] == 0


def test_purge_command_dry_run_deletes_nothing(world):
    _leave(world.outsider_pupil, date(2020, 1, 1))
    out = io.StringIO()
    call_command("purge_data", "--dry-run", stdout=out)
    assert "would delete 2" in out.getvalue()
    assert User.objects.filter(id=world.outsider_pupil.id).exists()


def test_purge_tasks_are_scheduled(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"directory.purge_departed_accounts", "directory.purge_old_records"} <= tasks


def test_outsider_data_never_in_export(world):
    stranger = make_user("stranger")
    data = privacy.collect_personal_data(stranger)
    assert data["children"] == [] and data["person"]["username"] == "stranger"
    assert timedelta(days=91) == privacy.RETENTION_AFTER_LEAVING
