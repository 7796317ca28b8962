"""Privacy: teachers never see health reasons nor notices; staff looks are audited;
old records are purged."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from absences import actions
from absences.models import (
    AbsenceEvent,
    AbsenceNotice,
    AbsenteeismAlert,
    AuditEntry,
    Register,
    RetentionPolicy,
    UnexplainedAlert,
)
from tests.absences.conftest import PARIS, declare

pytestmark = pytest.mark.django_db


@pytest.fixture
def justified(world, reasons, monday, open_register):
    """Léa absent this morning, justified by a validated notice for illness (a private reason)."""
    notice = declare(world, reasons["illness"], dt.date(2026, 10, 5), dt.date(2026, 10, 5), comment="Gastro")
    actions.do_validate_notice(world.vie_scolaire, notice)
    actions.do_save_register(world.teacher, open_register(), {world.pupil.id: ("absence", None)}, finish=True)
    event = AbsenceEvent.objects.get()
    assert event.state == "justified"
    return event, notice


def test_teachers_see_justified_but_never_the_health_reason(world, justified, login_as, client):
    event, notice = justified
    login_as(world.teacher)
    for url in (
        reverse("absences:pupil_file", args=[world.pupil.id]),
        reverse("absences:event_detail", args=[event.id]),
    ):
        page = client.get(url).content.decode()
        assert "Maladie" not in page and "Gastro" not in page, url
        assert "justifi" in page.lower()
    assert client.get(reverse("absences:notice_detail", args=[notice.id])).status_code == 404
    assert client.get(reverse("absences:notice_document", args=[notice.id])).status_code == 404


@pytest.mark.parametrize("persona", ["guardian", "pupil", "vie_scolaire"])
def test_family_and_vie_scolaire_see_the_reason(world, justified, login_as, client, persona):
    login_as(getattr(world, persona))
    assert "Maladie" in client.get(reverse("absences:pupil_file", args=[world.pupil.id])).content.decode()


def test_guardian_without_the_justify_right_sees_absences_not_reasons(world, justified, login_as, client):
    event, notice = justified
    login_as(world.guardian_nojustify)
    page = client.get(reverse("absences:pupil_file", args=[world.pupil.id])).content.decode()
    assert "Maladie" not in page and "justifi" in page.lower()
    assert client.get(reverse("absences:notice_detail", args=[notice.id])).status_code == 404


def test_staff_views_are_audited_and_family_views_are_not(world, justified, login_as, client):
    event, notice = justified
    AuditEntry.objects.all().delete()
    login_as(world.guardian)
    client.get(reverse("absences:pupil_file", args=[world.pupil.id]))
    client.get(reverse("absences:notice_detail", args=[notice.id]))
    assert not AuditEntry.objects.exists()
    client.logout()
    login_as(world.teacher)
    client.get(reverse("absences:pupil_file", args=[world.pupil.id]))
    client.logout()
    login_as(world.vie_scolaire)
    client.get(reverse("absences:notice_detail", args=[notice.id]))
    client.get(reverse("absences:event_detail", args=[event.id]))
    entries = list(AuditEntry.objects.order_by("viewed_at", "id").values_list("viewer", "pupil", "what"))
    assert entries == [
        (world.teacher.id, world.pupil.id, "file"),
        (world.vie_scolaire.id, world.pupil.id, "notice"),
        (world.vie_scolaire.id, world.pupil.id, "event"),
    ]
    # Direction reads the log; vie scolaire does not.
    url = reverse("absences:audit", args=[world.school.id])
    assert client.get(url).status_code == 404
    client.logout()
    login_as(world.direction)
    page = client.get(url).content.decode()
    assert "Martin" in page and world.teacher.get_full_name() in page
    filtered = client.get(url, {"pupil": world.other_pupil.id}).content.decode()
    assert world.teacher.get_full_name() not in filtered


def test_exports_and_statistics_are_audited(world, justified, login_as, client):
    AuditEntry.objects.all().delete()
    login_as(world.vie_scolaire)
    response = client.get(reverse("absences:export", args=[world.school.id]))
    b"".join(response.streaming_content)
    client.get(reverse("absences:class_stats", args=[world.klass.id]))
    assert set(AuditEntry.objects.values_list("what", flat=True)) == {"export", "stats"}
    assert AuditEntry.objects.filter(what="stats").count() == 2  # Léa and Noé


def _old_and_new(world, reasons, s3):
    from django.core.files.uploadedfile import SimpleUploadedFile

    year = world.klass.year
    # Real clock for S3; rows are dated by hand.
    old_day, new_day = dt.date(2025, 3, 10), dt.date(2026, 10, 5)
    rows = {}
    for label, day in (("old", old_day), ("new", new_day)):
        register = Register.objects.create(
            school=world.school,
            school_class=world.klass,
            date=day,
            half_day="am",
            starts_at=dt.time(9),
            ends_at=dt.time(10),
        )
        start, end = actions.aware(day, dt.time(9)), actions.aware(day, dt.time(10))
        event = AbsenceEvent.objects.create(
            pupil=world.pupil,
            school=world.school,
            register=register,
            date=day,
            half_day="am",
            starts_at=start,
            ends_at=end,
        )
        UnexplainedAlert.objects.create(pupil=world.pupil, school=world.school, date=day, half_day="am")
        AbsenteeismAlert.objects.create(pupil=world.pupil, school=world.school, month=day.replace(day=1))
        key = f"absences/notices/{world.pupil.id}/{label}.pdf"
        s3.put_stream(key, SimpleUploadedFile("x.pdf", b"%PDF-1"), 6, "application/pdf")
        notice = AbsenceNotice.objects.create(
            pupil=world.pupil,
            school=world.school,
            start_date=day,
            start_half_day="am",
            end_date=day,
            end_half_day="pm",
            starts_at=start,
            ends_at=end,
            reason=reasons["illness"],
            document_key=key,
        )
        AuditEntry.objects.create(
            viewer=world.teacher,
            viewer_name="x",
            pupil=world.pupil,
            school=world.school,
            what="file",
            viewed_at=start,
        )
        rows[label] = (register, event, notice, key)
    assert year  # the world's year is 2026-2027
    return rows


def test_purge_removes_what_is_past_retention(world, reasons, s3):
    rows = _old_and_new(world, reasons, s3)
    # In November 2026 a record of 2024-2025 is kept until the end of 2025-2026: already over.
    counts = actions.do_purge_expired(dt.date(2026, 11, 22))
    assert counts["notices"] == 1 and counts["audit"] == 1
    assert not Register.objects.filter(id=rows["old"][0].id).exists()
    assert not AbsenceEvent.objects.filter(id=rows["old"][1].id).exists()
    assert not AbsenceNotice.objects.filter(id=rows["old"][2].id).exists()
    assert s3.stat(rows["old"][3]) is None
    assert UnexplainedAlert.objects.count() == AbsenteeismAlert.objects.count() == AuditEntry.objects.count() == 1
    # What is recent stays, with its file.
    assert AbsenceEvent.objects.filter(id=rows["new"][1].id).exists()
    assert s3.stat(rows["new"][3]) is not None
    # Running again changes nothing.
    assert sum(actions.do_purge_expired(dt.date(2026, 11, 22)).values()) == 0


def test_purge_follows_the_territory_setting(world, reasons, s3):
    rows = _old_and_new(world, reasons, s3)
    RetentionPolicy.objects.create(territory=world.territory, years_after=3)
    actions.do_purge_expired(dt.date(2026, 11, 22))
    assert AbsenceEvent.objects.filter(id=rows["old"][1].id).exists()
    RetentionPolicy.objects.filter(territory=world.territory).update(years_after=0)
    # With 0 years after, the end of the record's own year: 2026-2027 records go in September 2027.
    actions.do_purge_expired(dt.date(2027, 8, 31))
    assert AbsenceEvent.objects.filter(id=rows["new"][1].id).exists()
    assert not AbsenceEvent.objects.filter(id=rows["old"][1].id).exists()
    actions.do_purge_expired(dt.date(2027, 9, 1))
    assert not AbsenceEvent.objects.exists()


def test_purge_task_runs(world, reasons):
    from absences.tasks import purge_expired

    with time_machine.travel(dt.datetime(2029, 9, 2, 3, 30, tzinfo=PARIS), tick=False):
        day = dt.date(2026, 10, 5)
        AbsenceEvent.objects.create(
            pupil=world.pupil,
            school=world.school,
            date=day,
            half_day="am",
            starts_at=actions.aware(day, dt.time(8)),
            ends_at=actions.aware(day, dt.time(12)),
        )
        purge_expired.delay()
    assert not AbsenceEvent.objects.exists()
