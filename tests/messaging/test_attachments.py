"""Attachments in the real S3 server: stored by content type, downloaded through a
presigned URL after the access check, and nothing half-done on failure."""

import urllib.request

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from messaging.models import Attachment, Conversation, Message

PDF = b"%PDF-1.4\n% test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _post(client, world, files, body="Voir la pièce jointe"):
    return client.post(
        reverse("messaging:new"),
        {"recipients": [world.teacher.pk], "subject": "Certificat", "body": body, "files": files},
    )


def test_attachment_round_trip(world, s3, client, login_as, django_capture_on_commit_callbacks):
    login_as(world.guardian)
    # The commit runs the antivirus scan (ent/files.py): only then is it offered.
    with django_capture_on_commit_callbacks(execute=True):
        r = _post(client, world, [SimpleUploadedFile("certificat.pdf", PDF, content_type="text/plain")])
    assert r.status_code == 302
    item = Attachment.objects.get()
    assert item.content_type == "application/pdf" and item.size == len(PDF)
    assert s3.stat(item.key) is not None

    login_as(world.teacher)
    page = client.get(r.url).content.decode()
    assert "certificat.pdf" in page
    download = client.get(reverse("messaging:attachment", args=[item.pk]))
    assert download.status_code == 302
    with urllib.request.urlopen(download["Location"], timeout=5) as response:
        assert response.read() == PDF

    for person in [world.outsider_parent, world.guardian2, world.direction]:
        login_as(person)
        assert client.get(reverse("messaging:attachment", args=[item.pk])).status_code == 404
    login_as(world.teacher)
    assert client.post(reverse("messaging:attachment", args=[item.pk])).status_code == 405


def test_wrong_type_or_too_big_is_refused_and_nothing_is_stored(world, s3, client, login_as):
    login_as(world.guardian)
    r = _post(client, world, [SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")])
    assert r.status_code == 400 and "est un programme" in r.content.decode()
    big = SimpleUploadedFile("gros.pdf", PDF + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    r = _post(client, world, [big])
    assert r.status_code == 400 and "est trop gros" in r.content.decode()
    assert Conversation.objects.count() == 0 and Attachment.objects.count() == 0
    assert list(s3.list_keys()) == []


def test_store_down_means_nothing_recorded(world, s3, settings, client, login_as):
    from ent import storage

    settings.S3_ENDPOINT = "127.0.0.1:9"  # nothing listens there
    storage.reset_clients()
    login_as(world.guardian)
    r = _post(client, world, [SimpleUploadedFile("certificat.pdf", PDF)])
    # An outage, not a refusal of the input: the 503 page (ent.errors.StorageUnavailableMiddleware).
    assert r.status_code == 503
    assert "indisponible" in r.content.decode() or "unavailable" in r.content.decode()
    assert Conversation.objects.count() == 0 and Message.objects.count() == 0
