"""Attachments and hand-ins in a real S3 server: type by content, size limits,
nothing half-saved, presigned download only after the access check, removal
with the entry, the orphan sweep."""

import datetime
import html
import io
import urllib.request
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ent import files as gate
from homework import actions
from homework.access import Target
from homework.models import Attachment, Entry, Submission
from tests.homework.conftest import PDF_BYTES, PNG_BYTES, form_data, make_entry, pdf_upload

pytestmark = pytest.mark.django_db


def keys(s3):
    return sorted(s3.list_keys("homework/"))


def create(client, world, **extra):
    return client.post(reverse("homework:entry_create", args=[f"c{world.klass.id}"]), {**form_data(), **extra})


def test_attachment_is_stored_and_downloaded_after_the_access_check(
    world, client, login_as, s3, django_capture_on_commit_callbacks
):
    login_as(world.teacher)
    # The commit runs the antivirus scan (ent/files.py): only then is it offered.
    with django_capture_on_commit_callbacks(execute=True):
        response = create(client, world, attachments=[pdf_upload(), SimpleUploadedFile("plan.png", PNG_BYTES)])
    assert response.status_code == 302
    entry = Entry.objects.get()
    stored = {a.filename: a for a in entry.attachments.all()}
    assert stored["fiche.pdf"].content_type == "application/pdf"
    assert stored["plan.png"].content_type == "image/png"
    assert len(keys(s3)) == 2
    attachment = stored["fiche.pdf"]

    client.logout()
    login_as(world.pupil)
    response = client.get(reverse("homework:attachment_download", args=[attachment.id]))
    assert response.status_code == 302 and "no-store" in response["Cache-Control"]
    with urllib.request.urlopen(response.url) as download:
        assert download.read() == PDF_BYTES
        assert "fiche.pdf" in download.headers["Content-Disposition"]

    # Others get no URL at all.
    for persona in (world.parent_b, world.other_teacher, world.staff_b):
        client.logout()
        login_as(persona)
        assert client.get(reverse("homework:attachment_download", args=[attachment.id])).status_code == 404


def test_type_is_checked_by_content_not_by_name(world, client, login_as, s3):
    login_as(world.teacher)
    fake = SimpleUploadedFile("devoir.pdf", b"MZ\x90\x00 this is a windows program", content_type="application/pdf")
    response = create(client, world, attachments=[pdf_upload(), fake])
    assert "est un programme" in html.unescape(response.content.decode())
    assert not Entry.objects.exists() and not Attachment.objects.exists()
    assert keys(s3) == []


def test_office_documents_are_recognised():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w/>")
    upload = SimpleUploadedFile("cours.docx", buffer.getvalue())
    assert gate.sniff(upload).content_type.endswith("wordprocessingml.document")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    odt = SimpleUploadedFile("cours.odt", buffer.getvalue())
    assert gate.sniff(odt).content_type == "application/vnd.oasis.opendocument.text"
    assert gate.sniff(SimpleUploadedFile("notes.txt", "Révisions\n".encode())).content_type == "text/plain"
    assert gate.sniff(SimpleUploadedFile("x.zip", b"PK\x03\x04garbage")).content_type is None


def test_oversize_attachment_is_refused(world, client, login_as, s3, settings):
    settings.HOMEWORK_MAX_ATTACHMENT_BYTES = 1024
    login_as(world.teacher)
    big = pdf_upload("gros.pdf", PDF_BYTES + b"0" * 2048)
    response = create(client, world, attachments=[big])
    assert "est trop gros" in response.content.decode()
    assert not Entry.objects.exists() and keys(s3) == []


def test_store_down_means_nothing_is_recorded(world, client, login_as, settings):
    from ent import storage

    settings.S3_ENDPOINT = "127.0.0.1:9"  # nothing listens there
    storage.reset_clients()
    try:
        login_as(world.teacher)
        response = create(client, world, attachments=[pdf_upload()])
        # An outage, not a refusal of the input: the 503 page (ent.errors.StorageUnavailableMiddleware).
        assert response.status_code == 503
        assert "indisponible" in response.content.decode()
        assert not Entry.objects.exists()
    finally:
        storage.reset_clients()


def test_failed_transaction_removes_the_uploaded_objects(world, s3, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(Attachment.objects, "bulk_create", broken)
    fields = {
        "kind": "work",
        "subject": world.subject,
        "title": "T",
        "instructions": "",
        "work_type": "homework",
        "given_on": timezone.localdate(),
        "due_on": timezone.localdate(),
        "publish_at": None,
        "minutes": None,
        "hand_in": False,
    }
    with pytest.raises(RuntimeError):
        actions.do_create_entry(world.teacher, Target(school_class=world.klass), fields, uploads=[pdf_upload()])
    assert not Entry.objects.exists() and keys(s3) == []


def test_deleting_an_entry_deletes_its_files_but_not_shared_ones(
    world, client, login_as, s3, django_capture_on_commit_callbacks
):
    login_as(world.teacher)
    create(client, world, attachments=[pdf_upload()])
    entry = Entry.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("homework:entry_copy", args=[entry.id]), {"target": f"g{world.group.id}"})
    copy = Entry.objects.exclude(id=entry.id).get()
    assert copy.attachments.get().key == entry.attachments.get().key
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("homework:entry_delete", args=[entry.id]))
    assert len(keys(s3)) == 1  # the copy still uses it
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("homework:entry_delete", args=[copy.id]))
    assert keys(s3) == []


def test_edit_adds_and_removes_attachments(world, client, login_as, s3, django_capture_on_commit_callbacks):
    login_as(world.teacher)
    create(client, world, attachments=[pdf_upload()])
    entry = Entry.objects.get()
    old = entry.attachments.get()
    data = form_data(subject=world.subject.id, remove_attachments=[str(old.id)])
    data["attachments"] = [SimpleUploadedFile("plan.png", PNG_BYTES)]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("homework:entry_edit", args=[entry.id]), data).status_code == 302
    assert [a.filename for a in entry.attachments.all()] == ["plan.png"]
    assert keys(s3) == [entry.attachments.get().key]
    changes = entry.revisions.get().changes
    assert {"field": "attachments", "before": "fiche.pdf", "after": ""} in changes


def test_orphan_sweep(world, s3):
    entry = make_entry(world)
    s3.put_stream("homework/attachments/kept", io.BytesIO(PDF_BYTES), len(PDF_BYTES), "application/pdf")
    Attachment.objects.create(entry=entry, key="homework/attachments/kept", filename="a.pdf", size=1, content_type="x")
    s3.put_stream("homework/attachments/orphan", io.BytesIO(PDF_BYTES), len(PDF_BYTES), "application/pdf")
    s3.put_stream("media/not-ours", io.BytesIO(b"x"), 1)
    # Young objects may belong to an upload in progress: left alone.
    assert actions.do_sweep_orphans() == []
    assert actions.do_sweep_orphans(grace=datetime.timedelta(0)) == ["homework/attachments/orphan"]
    assert keys(s3) == ["homework/attachments/kept"]
    assert list(s3.list_keys("media/")) == ["media/not-ours"]


def _hand_in(client, entry, **data):
    return client.post(reverse("homework:hand_in", args=[entry.id]), data)


def test_hand_in_before_the_due_date_and_replace(world, client, login_as, s3, django_capture_on_commit_callbacks):
    entry = make_entry(world, hand_in=True)
    login_as(world.pupil)
    assert _hand_in(client, entry, link="https://example.org/mon-expose").status_code == 302
    submission = Submission.objects.get()
    assert submission.link == "https://example.org/mon-expose" and not submission.is_late
    with django_capture_on_commit_callbacks(execute=True):
        _hand_in(client, entry, file=pdf_upload("expose.pdf"))
    submission.refresh_from_db()
    assert submission.filename == "expose.pdf" and submission.link == "" and len(keys(s3)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        _hand_in(client, entry, file=pdf_upload("expose-v2.pdf"))
    submission.refresh_from_db()
    assert submission.filename == "expose-v2.pdf" and keys(s3) == [submission.key]  # the old file is gone

    # The teacher lists and downloads it; another pupil cannot.
    client.logout()
    login_as(world.teacher)
    page = client.get(reverse("homework:entry_detail", args=[entry.id])).content.decode()
    assert "expose-v2.pdf" in page and "Noé" in page  # every pupil is listed, handed in or not
    response = client.get(reverse("homework:submission_download", args=[submission.id]))
    with urllib.request.urlopen(response.url) as download:
        assert download.read() == PDF_BYTES
    client.logout()
    login_as(world.outsider_pupil)
    assert client.get(reverse("homework:submission_download", args=[submission.id])).status_code == 404
    client.logout()
    login_as(world.guardian)
    assert _hand_in(client, entry, link="https://example.org/x").status_code == 403


def test_hand_in_after_the_due_date_is_late_and_final(world, client, login_as):
    today = timezone.localdate()
    entry = make_entry(world, hand_in=True, given_on=today - datetime.timedelta(days=5), due_in=-1)
    login_as(world.pupil)
    response = _hand_in(client, entry, link="https://example.org/en-retard")
    submission = Submission.objects.get()
    assert submission.is_late
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("en retard" in m for m in messages)
    response = _hand_in(client, entry, link="https://example.org/autre")
    submission.refresh_from_db()
    assert submission.link == "https://example.org/en-retard"
    assert any("ne peut plus être remplacé" in str(m) for m in response.wsgi_request._messages)


def test_hand_in_bad_input(world, client, login_as, s3):
    entry = make_entry(world, hand_in=True)
    no_hand_in = make_entry(world)
    login_as(world.pupil)
    for data in ({}, {"link": "javascript:alert(1)"}, {"link": "https://e.org", "file": pdf_upload()}):
        response = _hand_in(client, entry, **data)
        assert response.status_code == 302
    fake = SimpleUploadedFile("travail.pdf", b"\x7fELF binary")
    response = _hand_in(client, entry, file=fake)
    assert any("est un programme" in str(m) for m in response.wsgi_request._messages), [
        str(m) for m in response.wsgi_request._messages
    ]
    _hand_in(client, no_hand_in, link="https://example.org/x")
    assert not Submission.objects.exists() and keys(s3) == []
