"""Homework attachments and pupils' hand-ins through the one file gate: held
until clamd has seen them, infected ones never downloadable (the owner told),
clean ones offered to the right people only; bad files refused with a reason."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from ent import files
from homework.models import Attachment, Entry, Submission
from tests.clamd import EICAR
from tests.file_gate import (
    PDF,
    assert_downloads,
    assert_never_downloadable,
    assert_not_found,
    docx,
    docx_bomb,
    eicar_docx,
    infected_notices,
)
from tests.homework.conftest import form_data, make_entry

pytestmark = pytest.mark.django_db


def post_entry(client, world, upload):
    return client.post(
        reverse("homework:entry_create", args=[f"c{world.klass.id}"]), {**form_data(), "attachments": [upload]}
    )


def hand_in(client, entry, upload):
    return client.post(reverse("homework:hand_in", args=[entry.id]), {"file": upload})


def test_eicar_attachment_is_held_then_infected_never_downloadable_and_the_teacher_is_told(
    world, s3, client, login_as, django_capture_on_commit_callbacks
):
    login_as(world.teacher)
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_entry(client, world, SimpleUploadedFile("consignes.txt", b"Lire ceci\n" + EICAR))
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    # Committed, not scanned yet: held, and nobody gets a link.
    assert attachment.scan == files.ScanState.HELD
    url = reverse("homework:attachment_download", args=[attachment.id])
    with translation.override("en"):
        assert_never_downloadable(client, login_as, url, [world.teacher, world.pupil], state=files.ScanState.HELD)
    # Run the scan as the commit would, with what it schedules in turn.
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    attachment.refresh_from_db()
    assert attachment.scan == files.ScanState.INFECTED and attachment.scan_signature.startswith("Test.EICAR")
    assert s3.stat(attachment.key) is None, "the infected object must be deleted"
    assert_never_downloadable(client, login_as, url, [world.teacher, world.pupil, world.guardian])
    assert_not_found(client, login_as, url, [world.parent_b, world.other_teacher, world.staff_b])
    (notice,) = infected_notices(world.teacher)
    assert notice.url.endswith(reverse("homework:entry_detail", args=[attachment.entry_id]))
    assert not infected_notices(world.pupil)
    # The page says so instead of offering a link.
    login_as(world.pupil)
    page = client.get(reverse("homework:entry_detail", args=[attachment.entry_id])).content.decode()
    assert "consignes.txt" in page and url not in page and "antivirus" in page


def test_clean_attachment_is_offered_to_the_class_only(world, s3, client, login_as, django_capture_on_commit_callbacks):
    login_as(world.teacher)
    document = docx()
    with django_capture_on_commit_callbacks(execute=True):
        post_entry(client, world, SimpleUploadedFile("cours.docx", document))
    attachment = Attachment.objects.get()
    assert attachment.scan == files.ScanState.OFFERED and attachment.scanned_at
    url = reverse("homework:attachment_download", args=[attachment.id])
    assert_downloads(client, login_as, url, [world.teacher, world.pupil, world.guardian], document)
    assert_not_found(client, login_as, url, [world.parent_b, world.other_teacher, world.staff_b, world.teacher_b])
    login_as(world.teacher)
    assert client.post(url).status_code == 405


def test_copies_share_the_verdict(world, s3, client, login_as, django_capture_on_commit_callbacks):
    """Occurrences of a recurring entry share one object: one scan, every row told."""
    login_as(world.teacher)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("homework:entry_create", args=[f"c{world.klass.id}"]),
            {
                **form_data(recurrence="weekly", repeat_until=str(timezone.localdate() + datetime.timedelta(days=14))),
                "attachments": [SimpleUploadedFile("virus.txt", EICAR)],
            },
        )
    rows = list(Attachment.objects.all())
    assert len({a.key for a in rows}) == 1
    assert {a.scan for a in rows} == {files.ScanState.INFECTED}
    assert len(infected_notices(world.teacher)) == 1


def test_eicar_hand_in_is_held_then_infected_and_the_pupil_is_told(
    world, s3, client, login_as, django_capture_on_commit_callbacks
):
    entry = make_entry(world, hand_in=True)
    login_as(world.pupil)
    with django_capture_on_commit_callbacks(execute=True):
        response = hand_in(client, entry, SimpleUploadedFile("devoir.docx", eicar_docx()))
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.scan == files.ScanState.INFECTED
    url = reverse("homework:submission_download", args=[submission.id])
    assert_never_downloadable(client, login_as, url, [world.pupil, world.teacher])
    assert_not_found(client, login_as, url, [world.outsider_pupil, world.other_teacher, world.staff_b, world.parent_b])
    assert len(infected_notices(world.pupil)) == 1 and not infected_notices(world.teacher)
    # The teacher's list says it was refused, with no link.
    login_as(world.teacher)
    page = client.get(reverse("homework:entry_detail", args=[entry.id])).content.decode()
    assert url not in page and "devoir.docx" in page


def test_clean_hand_in_is_offered_to_the_pupil_and_the_teacher(
    world, s3, client, login_as, django_capture_on_commit_callbacks
):
    entry = make_entry(world, hand_in=True)
    login_as(world.pupil)
    with django_capture_on_commit_callbacks(execute=True):
        hand_in(client, entry, SimpleUploadedFile("devoir.pdf", PDF))
    submission = Submission.objects.get()
    url = reverse("homework:submission_download", args=[submission.id])
    assert_downloads(client, login_as, url, [world.pupil, world.teacher], PDF)
    assert_not_found(client, login_as, url, [world.outsider_pupil, world.parent_b, world.other_teacher, world.staff_b])


def test_replacing_a_hand_in_holds_the_new_file(world, s3, client, login_as, django_capture_on_commit_callbacks):
    entry = make_entry(world, hand_in=True)
    login_as(world.pupil)
    with django_capture_on_commit_callbacks(execute=True):
        hand_in(client, entry, SimpleUploadedFile("v1.pdf", PDF))
    with django_capture_on_commit_callbacks(execute=False):
        hand_in(client, entry, SimpleUploadedFile("v2.pdf", PDF + b"%v2\n"))
    submission = Submission.objects.get()
    assert submission.filename == "v2.pdf" and submission.scan == files.ScanState.HELD


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("cours.docx", docx_bomb(), "bombe"),
        ("photo.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "ne correspond pas"),
        ("devoir.pdf", b"MZ\x90\x00 programme", "programme"),
    ],
)
def test_bad_files_are_refused_with_a_reason_and_nothing_is_saved(world, s3, client, login_as, name, content, message):
    login_as(world.teacher)
    response = post_entry(client, world, SimpleUploadedFile(name, content))
    assert response.status_code == 200 and message in response.content.decode()
    entry = make_entry(world, hand_in=True)
    login_as(world.pupil)
    response = hand_in(client, entry, SimpleUploadedFile(name, content))
    shown = " ".join(str(m) for m in response.wsgi_request._messages)
    assert message in shown
    assert Entry.objects.count() == 1 and not Attachment.objects.exists() and not Submission.objects.exists()
    assert list(s3.list_keys("homework/")) == []


def test_the_cached_week_shows_the_verdict(world, s3, client, login_as, django_capture_on_commit_callbacks):
    """The week page is cached (ent/pagecache.py): the verdict, saved on the
    attachment row, replaces the page that said "being checked"."""
    login_as(world.teacher)
    with django_capture_on_commit_callbacks() as callbacks:
        post_entry(client, world, SimpleUploadedFile("fiche.pdf", PDF))
    attachment = Attachment.objects.get()
    url = reverse("homework:attachment_download", args=[attachment.id])
    login_as(world.pupil)
    week = reverse("homework:week")
    for _ in range(2):  # the second one is served from the page cache
        page = client.get(week).content.decode()
        assert "fiche.pdf" in page and f'href="{url}"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert f'href="{url}"' in client.get(week).content.decode()
