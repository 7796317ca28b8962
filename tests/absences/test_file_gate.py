"""Parents' absence documents through the one file gate: held until clamd has
seen them, an infected one never downloadable (the school never gets it, the
parent is told), a clean one offered to the family and the school office only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from absences.models import AbsenceNotice
from ent import files
from tests.file_gate import (
    EICAR_PDF,
    PDF,
    assert_downloads,
    assert_never_downloadable,
    assert_not_found,
    infected_notices,
)
from tests.security import hostile_files as hf

pytestmark = pytest.mark.django_db


def declare(client, world, reason, document):
    # S3 signs requests with the clock: the notice is for today.
    today = timezone.localdate().isoformat()
    return client.post(
        reverse("absences:declare", args=[world.pupil.id]),
        {
            "start_date": today,
            "start_half_day": "am",
            "end_date": today,
            "end_half_day": "pm",
            "reason": reason.id,
            "comment": "",
            "document": document,
            # Today may be a weekend or a holiday: the warning is confirmed in advance.
            "confirm_dates": f"{today}/{today}",
        },
    )


def test_eicar_document_is_held_then_infected_never_downloadable_and_the_parent_is_told(
    world, reasons, s3, client, login_as, django_capture_on_commit_callbacks
):
    login_as(world.guardian)
    with django_capture_on_commit_callbacks() as callbacks:
        response = declare(client, world, reasons["illness"], SimpleUploadedFile("certificat.pdf", EICAR_PDF))
    assert response.status_code == 302
    notice = AbsenceNotice.objects.get()
    url = reverse("absences:notice_document", args=[notice.id])
    assert notice.scan == files.ScanState.HELD
    with translation.override("en"):
        assert_never_downloadable(
            client, login_as, url, [world.guardian, world.vie_scolaire], state=files.ScanState.HELD
        )
    # Run the scan as the commit would, with what it schedules in turn.
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    notice.refresh_from_db()
    assert notice.scan == files.ScanState.INFECTED and not notice.has_document
    assert s3.stat(notice.document_key) is None
    assert_never_downloadable(client, login_as, url, [world.guardian, world.vie_scolaire, world.direction])
    assert_not_found(client, login_as, url, [world.outsider_parent, world.parent_b, world.staff_b, world.teacher])
    (told,) = infected_notices(world.guardian)
    assert told.url.endswith(reverse("absences:notice_detail", args=[notice.id]))
    assert not infected_notices(world.vie_scolaire)
    login_as(world.vie_scolaire)
    page = client.get(reverse("absences:notice_detail", args=[notice.id])).content.decode()
    assert "certificat.pdf" in page and f'href="{url}"' not in page


def test_clean_document_is_offered_to_the_family_and_the_office_only(
    world, reasons, s3, client, login_as, django_capture_on_commit_callbacks
):
    login_as(world.guardian)
    with django_capture_on_commit_callbacks(execute=True):
        declare(client, world, reasons["illness"], SimpleUploadedFile("certificat.pdf", PDF))
    notice = AbsenceNotice.objects.get()
    assert notice.scan == files.ScanState.OFFERED and notice.has_document
    url = reverse("absences:notice_document", args=[notice.id])
    assert_downloads(client, login_as, url, [world.guardian, world.vie_scolaire], PDF)
    assert_not_found(client, login_as, url, [world.outsider_parent, world.parent_b, world.staff_b, world.teacher])


def test_a_notice_without_document_has_nothing_held(world, reasons, s3, client, login_as):
    login_as(world.guardian)
    declare(client, world, reasons["family"], "")
    notice = AbsenceNotice.objects.get()
    assert notice.scan == files.ScanState.OFFERED and not notice.has_document
    assert client.get(reverse("absences:notice_document", args=[notice.id])).status_code == 404


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("certificat.pdf", hf.PNG, "ne correspond pas"),
        ("certificat.docx", hf.docx_bomb(), "bombe"),
        ("certificat.pdf", hf.WINDOWS_EXE, "programme"),
        ("certificat.txt", b"texte\n", "PDF, JPEG ou PNG"),
    ],
)
def test_bad_documents_are_refused_with_a_reason_and_nothing_is_saved(
    world, reasons, s3, client, login_as, name, content, message
):
    login_as(world.guardian)
    response = declare(client, world, reasons["illness"], SimpleUploadedFile(name, content))
    assert response.status_code == 200 and message in response.content.decode()
    assert not AbsenceNotice.objects.exists() and list(s3.list_keys("absences/")) == []
