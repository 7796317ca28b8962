"""Message attachments through the one file gate: checked by content (a zip
named .docx is opened, a bomb refused), held until clamd has seen them, an
infected one never downloadable and its sender told."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from ent import files
from messaging import live
from messaging.models import Attachment, Conversation, Message
from tests.file_gate import (
    EICAR_PDF,
    assert_downloads,
    assert_never_downloadable,
    assert_not_found,
    docx,
    docx_bomb,
    infected_notices,
)
from tests.security import hostile_files as hf

pytestmark = pytest.mark.django_db


def post(client, world, upload, body="Voir la pièce jointe"):
    return client.post(
        reverse("messaging:new"),
        {"recipients": [world.teacher.pk], "subject": "Certificat", "body": body, "files": [upload]},
    )


def test_eicar_attachment_is_held_then_infected_never_downloadable_and_the_sender_is_told(
    world, s3, client, login_as, django_capture_on_commit_callbacks
):
    login_as(world.guardian)
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, world, SimpleUploadedFile("certificat.pdf", EICAR_PDF))
    assert response.status_code == 302
    item = Attachment.objects.get()
    url = reverse("messaging:attachment", args=[item.pk])
    assert item.scan == files.ScanState.HELD
    assert live.serialize_message(item.message)["attachments"][0]["scan"] == "held"
    with translation.override("en"):
        assert_never_downloadable(client, login_as, url, [world.guardian, world.teacher], state=files.ScanState.HELD)
    # Run the scan as the commit would, with what it schedules in turn.
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    item.refresh_from_db()
    assert item.scan == files.ScanState.INFECTED
    assert s3.stat(item.key) is None
    assert_never_downloadable(client, login_as, url, [world.guardian, world.teacher])
    assert_not_found(client, login_as, url, [world.outsider_parent, world.guardian2, world.parent_b])
    (notice,) = infected_notices(world.guardian)
    assert notice.url.endswith(reverse("messaging:conversation", args=[item.message.conversation_id]))
    assert not infected_notices(world.teacher)
    login_as(world.teacher)
    page = client.get(reverse("messaging:conversation", args=[item.message.conversation_id])).content.decode()
    assert "certificat.pdf" in page and f'href="{url}"' not in page


def test_clean_office_document_is_offered_to_the_participants_only(
    world, s3, client, login_as, django_capture_on_commit_callbacks
):
    login_as(world.guardian)
    document = docx()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, world, SimpleUploadedFile("attestation.docx", document))
    item = Attachment.objects.get()
    assert item.scan == files.ScanState.OFFERED and item.content_type == files.DOCX
    url = reverse("messaging:attachment", args=[item.pk])
    assert_downloads(client, login_as, url, [world.guardian, world.teacher], document)
    assert_not_found(client, login_as, url, [world.outsider_parent, world.guardian2, world.parent_b, world.staff_b])


@pytest.mark.parametrize(
    "name, content, message",
    [
        # Before the gate, any zip named .docx was accepted, bombs included.
        ("cours.docx", docx_bomb(), "bombe"),
        ("cours.docx", hf.stored_zip([("a.txt", b"pas un document")]), "n'est pas d'un type accepté"),
        ("photo.pdf", hf.PNG, "ne correspond pas"),
        ("notes.txt", b"du texte\n", "n'est pas d'un type accepté"),
    ],
)
def test_bad_files_are_refused_with_a_reason_and_nothing_is_saved(world, s3, client, login_as, name, content, message):
    login_as(world.guardian)
    response = post(client, world, SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Conversation.objects.exists() and not Message.objects.exists() and not Attachment.objects.exists()
    assert list(s3.list_keys()) == []
