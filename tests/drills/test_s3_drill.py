"""Drill: the S3 server is killed while an upload is being streamed to it (a
homework attachment through the page, and a 15 MB hand-in: a multipart upload). A clear message, nothing
half-recorded (no row, no object); once the server is back the same upload works."""

import html
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ent import storage
from ent.errors import StorageUnavailable
from homework import actions
from homework.models import Attachment, Entry, Submission
from tests.conftest import S3_ACCESS_KEY, S3_SECRET_KEY
from tests.drills import services
from tests.homework.conftest import PDF_BYTES, form_data, make_entry

pytestmark = [pytest.mark.drill, pytest.mark.django_db]


class KillingUpload(SimpleUploadedFile):
    """An upload whose reading stops the S3 server once `after` bytes were read:
    the server dies while the project streams the file to it."""

    def __init__(self, name, content, server, after):
        super().__init__(name, content, content_type="application/pdf")
        self.server, self.after, self.read_so_far = server, after, 0

    def read(self, *args):
        data = super().read(*args)
        self.read_so_far += len(data)
        if self.read_so_far > self.after and self.server.proc.poll() is None:
            self.server.kill()
        return data


@pytest.fixture
def own_s3(settings):
    server = services.RestartableS3Server()
    server.start()
    settings.S3_ENDPOINT = settings.S3_PUBLIC_ENDPOINT = server.endpoint
    settings.S3_ACCESS_KEY, settings.S3_SECRET_KEY = S3_ACCESS_KEY, S3_SECRET_KEY
    settings.S3_BUCKET = f"ent-drill-{os.getpid()}-{time.monotonic_ns() % 10**9}"
    storage.reset_clients()
    storage.ensure_bucket()
    try:
        yield server
    finally:
        storage.reset_clients()
        server.cleanup()


def keys():
    return sorted(storage.list_keys("homework/"))


def test_s3_stops_during_uploads(world, client, login_as, own_s3, django_capture_on_commit_callbacks):
    url = reverse("homework:entry_create", args=[f"c{world.klass.id}"])
    # Over the SDK's 10 MB part size: a multipart upload. The SDK reads ahead, so
    # the server dies while the file is being read for it, before the upload is
    # opened on the server (a kill in the middle of a part's bytes is not reached).
    big = PDF_BYTES + b"%" * (15 * 1024 * 1024)
    tried = 0

    # 1. Through the page, the server gone mid-way through the file.
    login_as(world.teacher)
    upload = KillingUpload("fiche.pdf", PDF_BYTES + b"%" * 3_000_000, own_s3, after=1_000_000)
    started = time.monotonic()
    response = client.post(url, {**form_data(), "attachments": [upload]})
    page_seconds = time.monotonic() - started
    tried += 1
    # An outage, not a refusal of the input: the 503 page (ent.errors.StorageUnavailableMiddleware).
    assert response.status_code == 503
    assert "indisponible" in html.unescape(response.content.decode())
    assert not Entry.objects.exists() and not Attachment.objects.exists()

    # 2. A hand-in in parts: the first part reaches the server, then it dies.
    entry = make_entry(world, hand_in=True)
    with pytest.raises(StorageUnavailable):
        actions.do_hand_in(world.pupil, entry, upload=KillingUpload("expose.pdf", big, own_s3, after=11 * 1024 * 1024))
    tried += 1
    assert not Submission.objects.exists()

    # 3. The server comes back (same data folder, same ports): nothing was left, and the same uploads work.
    own_s3.start()
    leftovers = keys()
    assert leftovers == []
    client.logout()
    login_as(world.teacher)
    response = client.post(url, {**form_data(), "attachments": [SimpleUploadedFile("fiche.pdf", PDF_BYTES)]})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert keys() == [attachment.key] and storage.stat(attachment.key).size == len(PDF_BYTES)
    with django_capture_on_commit_callbacks(execute=True):
        submission = actions.do_hand_in(world.pupil, entry, upload=SimpleUploadedFile("expose.pdf", big))
    assert storage.stat(submission.key).size == len(big)
    assert sorted(keys()) == sorted([attachment.key, submission.key])
    print(
        f"s3 drill: {tried} uploads cut by a stopped server (one page answered in {page_seconds:.1f} s with the "
        f"message), rows half-recorded 0, objects left behind {len(leftovers)}; after the restart 2 of 2 uploads "
        "stored with their rows"
    )
