"""Parents' absence notices: declaration, document, validation, rejection, and the
absences they justify whichever came first."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from absences import actions
from absences.models import AbsenceEvent, AbsenceNotice
from ent.notify.models import Notification
from tests.absences.conftest import declare

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _form(reason, **extra):
    return {
        "start_date": "2026-10-05",
        "start_half_day": "am",
        "end_date": "2026-10-06",
        "end_half_day": "pm",
        "reason": getattr(reason, "id", reason),
        "comment": "Fièvre",
        **extra,
    }


def _today(**extra):
    # S3 signs requests with the clock: tests that talk to the store cannot travel in time.
    today = timezone.localdate().isoformat()
    # Confirmed in advance: the tests may run on a weekend or a holiday (a warning to confirm).
    return {"start_date": today, "end_date": today, "confirm_dates": f"{today}/{today}", **extra}


def test_parent_declares_with_a_document(world, reasons, login_as, client, s3, django_capture_on_commit_callbacks):
    login_as(world.guardian)
    url = reverse("absences:declare", args=[world.pupil.id])
    assert client.get(url).status_code == 200
    doc = SimpleUploadedFile("certificat.pdf", PDF, content_type="application/pdf")
    # The commit runs the antivirus scan (ent/files.py): only then is it offered.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _form(reasons["illness"], **_today(document=doc)))
    notice = AbsenceNotice.objects.get()
    assert response.status_code == 302 and response.url == reverse("absences:notice_detail", args=[notice.id])
    assert notice.state == "pending" and notice.declared_by == world.guardian and notice.school == world.school
    assert notice.document_type == "application/pdf" and notice.document_name == "certificat.pdf"
    assert s3.stat(notice.document_key).size == len(PDF)
    # The parent fetches it back through a short-lived link.
    download = client.get(reverse("absences:notice_document", args=[notice.id]))
    assert download.status_code == 302 and notice.document_key in download.url and "X-Amz-Signature" in download.url


def test_declaration_in_advance_with_times(world, reasons, monday, login_as, client):
    login_as(world.guardian)
    data = _form(
        reasons["doctor"], start_date="2026-10-20", end_date="2026-10-20", start_time="14:00", end_time="15:30"
    )
    data["document"] = SimpleUploadedFile("rdv.png", PNG, content_type="image/png")
    # needs_proof without a store: the document is required; here we give none to see the message.
    del data["document"]
    response = client.post(reverse("absences:declare", args=[world.pupil.id]), data)
    assert response.status_code == 200 and not AbsenceNotice.objects.exists()
    notice = declare(world, reasons["family"], dt.date(2026, 10, 20), dt.date(2026, 10, 20), start_time=dt.time(14))
    assert notice.starts_at.hour == 14


@pytest.mark.parametrize(
    "change, message",
    [
        ({"end_date": "2026-10-04"}, "after the start"),
        ({"start_date": "2024-01-10", "end_date": "2024-01-11"}, "school year"),
        ({"start_date": "2031-01-10", "end_date": "2031-01-11"}, "school year"),
        ({"reason_id": "999999"}, ""),
        ({"start_date": "pas une date"}, ""),
    ],
)
def test_bad_declarations_are_refused(world, reasons, monday, login_as, client, change, message):
    login_as(world.guardian)
    client.cookies.load({"django_language": "en"})
    reason = change.pop("reason_id", reasons["illness"])
    response = client.post(reverse("absences:declare", args=[world.pupil.id]), _form(reason, **change))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AbsenceNotice.objects.exists()


def test_a_reason_of_another_school_is_refused(world, reasons, monday, login_as, client):
    from tests.absences.conftest import make_reasons

    other = make_reasons(world.school_b)["illness"]
    login_as(world.guardian)
    response = client.post(reverse("absences:declare", args=[world.pupil.id]), _form(other))
    assert response.status_code == 200 and not AbsenceNotice.objects.exists()


def test_overlapping_notices_are_refused(world, reasons, monday, login_as, client):
    declare(world, reasons["illness"], dt.date(2026, 10, 6), dt.date(2026, 10, 7))
    login_as(world.guardian2)
    client.cookies.load({"django_language": "en"})
    response = client.post(reverse("absences:declare", args=[world.pupil.id]), _form(reasons["family"]))
    assert response.status_code == 200 and "already covers" in response.content.decode()
    assert AbsenceNotice.objects.count() == 1


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"MZ\x90\x00 not a document", "note.pdf", "is a program"),
        (b"texte\n", "note.txt", "not of an accepted type (PDF, JPEG or PNG)"),
        (b"", "vide.pdf", ""),
        (PDF + b"x" * 2048, "gros.pdf", "too large"),
    ],
)
def test_bad_documents_are_refused_and_nothing_is_stored(
    world, reasons, login_as, client, s3, settings, content, name, message
):
    settings.ABSENCE_DOCUMENT_MAX_BYTES = 1024
    login_as(world.guardian)
    client.cookies.load({"django_language": "en"})
    doc = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client.post(
        reverse("absences:declare", args=[world.pupil.id]), _form(reasons["illness"], **_today(document=doc))
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AbsenceNotice.objects.exists()
    assert list(s3.list_keys()) == []


def test_store_down_means_nothing_recorded(world, reasons, monday, login_as, client, settings):
    from ent import storage

    settings.S3_ENDPOINT = "127.0.0.1:9"  # nothing listens there
    storage.reset_clients()
    try:
        login_as(world.guardian)
        client.cookies.load({"django_language": "en"})
        doc = SimpleUploadedFile("c.pdf", PDF, content_type="application/pdf")
        response = client.post(
            reverse("absences:declare", args=[world.pupil.id]), _form(reasons["illness"], document=doc)
        )
        # An outage, not a refusal of the input: the 503 page (ent.errors.StorageUnavailableMiddleware).
        assert response.status_code == 503 and "file store is unavailable" in response.content.decode()
        assert not AbsenceNotice.objects.exists()
    finally:
        storage.reset_clients()


def test_db_failure_after_upload_removes_the_file(world, reasons, s3, monkeypatch):
    from absences.access import current_enrollment

    enrollment = current_enrollment(world.pupil.id)
    doc = SimpleUploadedFile("c.pdf", PDF, content_type="application/pdf")
    data = {
        "start_date": timezone.localdate(),
        "start_half_day": "am",
        "end_date": timezone.localdate(),
        "end_half_day": "pm",
        "reason": reasons["illness"],
    }

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(AbsenceNotice.objects, "create", boom)
    with pytest.raises(RuntimeError):
        actions.do_declare_notice(world.guardian, world.pupil, enrollment, data=data, document=doc)
    assert list(s3.list_keys()) == []


@pytest.mark.parametrize("persona", ["guardian_nojustify", "outsider_parent", "parent_b", "teacher", "pupil"])
def test_who_may_not_declare_gets_404(world, reasons, monday, login_as, client, persona):
    login_as(getattr(world, persona))
    url = reverse("absences:declare", args=[world.pupil.id])
    assert client.get(url).status_code == 404
    assert client.post(url, _form(reasons["illness"])).status_code == 404
    assert not AbsenceNotice.objects.exists()


def _absent_today(world, open_register, hour=9):
    register = open_register(hour)
    actions.do_save_register(world.teacher, register, {world.pupil.id: ("absence", None)}, finish=True)
    return AbsenceEvent.objects.get(register=register)


def test_absence_first_then_notice_validated(world, reasons, monday, login_as, client, open_register):
    event = _absent_today(world, open_register)
    assert event.state == "unexplained"
    notice = declare(world, reasons["illness"], dt.date(2026, 10, 5), dt.date(2026, 10, 5))
    login_as(world.vie_scolaire)
    response = client.post(reverse("absences:notice_validate", args=[notice.id]))
    assert response.status_code == 302
    event.refresh_from_db()
    notice.refresh_from_db()
    assert notice.state == "validated" and notice.treated_by == world.vie_scolaire
    assert event.state == "justified" and event.reason == reasons["illness"] and event.notice == notice
    assert event.settled  # "Maladie" settles
    treated = Notification.objects.get(kind="absence.notice_treated")
    assert treated.recipient == world.guardian and treated.child == world.pupil
    # Validating twice changes nothing and says so.
    client.post(reverse("absences:notice_validate", args=[notice.id]))
    assert Notification.objects.filter(kind="absence.notice_treated").count() == 1


def test_notice_validated_first_then_absence_recorded(world, reasons, monday, open_register):
    notice = declare(world, reasons["family"], dt.date(2026, 10, 5), dt.date(2026, 10, 9))
    actions.do_validate_notice(world.vie_scolaire, notice)
    event = _absent_today(world, open_register)
    assert event.state == "justified" and event.notice == notice and event.reason == reasons["family"]
    # Vie scolaire's own entries later in the week are justified too.
    from absences.access import current_enrollment

    rows = actions.do_record_absences(
        world.vie_scolaire,
        world.school,
        pupils=[world.pupil],
        start_date=dt.date(2026, 10, 8),
        start_half="am",
        end_date=dt.date(2026, 10, 8),
        end_half="am",
        kind="absence",
        year=current_enrollment(world.pupil.id).school_class.year,
    )
    assert [r.state for r in AbsenceEvent.objects.filter(id__in=[r.id for r in rows])] == ["justified"]
    # But not an absence outside the notice.
    other = actions.do_record_absences(
        world.vie_scolaire,
        world.school,
        pupils=[world.pupil],
        start_date=dt.date(2026, 10, 12),
        start_half="am",
        end_date=dt.date(2026, 10, 12),
        end_half="am",
        kind="absence",
        year=current_enrollment(world.pupil.id).school_class.year,
    )
    assert AbsenceEvent.objects.get(id=other[0].id).state == "unexplained"


def test_rejection_tells_the_guardian_why(world, reasons, monday, login_as, client, open_register):
    event = _absent_today(world, open_register)
    notice = declare(world, reasons["convenience"], dt.date(2026, 10, 5), dt.date(2026, 10, 5))
    login_as(world.vie_scolaire)
    url = reverse("absences:notice_reject", args=[notice.id])
    # Without a reason: a clear message, nothing changed.
    response = client.post(url, {"reject_reason": ""})
    assert response.status_code == 200
    notice.refresh_from_db()
    assert notice.state == "pending"
    assert client.post(url, {"reject_reason": "Motif non recevable."}).status_code == 302
    notice.refresh_from_db()
    event.refresh_from_db()
    assert notice.state == "rejected" and notice.reject_reason == "Motif non recevable."
    assert event.state == "unexplained"
    sent = Notification.objects.get(kind="absence.notice_treated")
    assert sent.recipient == world.guardian and sent.context["comment"] == "Motif non recevable."
    # A rejected notice no longer blocks a new declaration for the same days.
    declare(world, reasons["family"], dt.date(2026, 10, 5), dt.date(2026, 10, 5))


def test_only_managers_treat_notices(world, reasons, monday, login_as, client):
    notice = declare(world, reasons["illness"], dt.date(2026, 10, 5), dt.date(2026, 10, 5))
    for persona, status in [("guardian", 403), ("teacher", 404), ("staff_b", 404), ("referent", 404)]:
        client.logout()
        login_as(getattr(world, persona))
        assert client.post(reverse("absences:notice_validate", args=[notice.id])).status_code == status, persona
        assert (
            client.post(reverse("absences:notice_reject", args=[notice.id]), {"reject_reason": "x"}).status_code
            == status
        )
    notice.refresh_from_db()
    assert notice.state == "pending"
