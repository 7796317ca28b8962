"""A whole school's login letters: built by a task into the object store, handed
out by a presigned link to the school's managers only; a class's letters stay
synchronous (and fast)."""

import io
import socket
import urllib.request
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from ent import storage
from ent.directory import letters, privacy
from ent.directory.actions import check_activation_code
from ent.directory.models import ActivationCode, LetterBatch
from ent.notify.models import Notification
from tests.factories import link_guardian, make_pupil, make_user

pytestmark = pytest.mark.django_db


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def ask_for_school(client, world, capture, **data):
    with capture(execute=True):
        return client.post(reverse("login_letters", args=[world.school.id]), {"school_class": "", **data})


def test_whole_school_letters_are_built_by_a_task_and_downloaded(
    world, client, login_as, s3, django_capture_on_commit_callbacks
):
    login_as(world.direction)
    response = ask_for_school(client, world, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == reverse("login_letters", args=[world.school.id])
    batch = LetterBatch.objects.get()
    assert batch.status == LetterBatch.Status.READY and batch.school_class is None
    assert storage.stat(batch.key).size == batch.size > 0
    assert batch.expires_at - batch.ready_at == timedelta(days=letters.LETTERS_DAYS)

    page = client.get(reverse("login_letters", args=[world.school.id])).content.decode()
    download = reverse("login_letters_download", args=[batch.id])
    assert download in page
    response = client.get(download)
    assert response.status_code == 302 and "no-store" in response["Cache-Control"]
    assert "X-Amz-Signature=" in response.url
    with urllib.request.urlopen(response.url, timeout=10) as fetched:
        data = fetched.read()
    pages = pdf_pages(data)
    # only_new unticked (a form without the box): every pupil and guardian of the school.
    assert len(pages) == batch.count
    usernames = {p.username for p in (world.pupil, world.other_pupil, world.outsider_pupil, world.guardian)}
    for username in usernames:
        assert any(username in p for p in pages), username
    lea = next(p for p in pages if world.pupil.username in p)
    code = next(w for w in lea.split() if len(w) == 9 and w[4] == "-")
    assert check_activation_code(world.pupil.username, code).user == world.pupil
    # The person who asked is told in the app.
    assert Notification.objects.filter(recipient=world.direction, kind="export.ready").exists()


def test_the_school_is_asked_once_while_pending(world, s3):
    first = letters.do_request_school_letters(world.school, by=world.direction)
    second = letters.do_request_school_letters(world.school, by=world.vie_scolaire)
    assert first == second and LetterBatch.objects.count() == 1
    built = letters.do_build_letter_batch(first.id)
    codes = ActivationCode.objects.count()
    # A task run twice builds once: no second set of codes.
    assert letters.do_build_letter_batch(first.id).key == built.key
    assert ActivationCode.objects.count() == codes


def test_only_the_school_managers_download(world, client, login_as, s3):
    batch = letters.do_build_letter_batch(letters.do_request_school_letters(world.school, by=world.direction).id)
    url = reverse("login_letters_download", args=[batch.id])
    for persona in (world.staff_b, world.referent, world.teacher, world.guardian, world.pupil):
        login_as(persona)
        assert client.get(url).status_code == 404, persona.username
    login_as(world.vie_scolaire)
    assert client.get(url).status_code == 302
    assert client.post(url).status_code == 405
    assert client.get(reverse("login_letters_download", args=[batch.id + 999])).status_code == 404


def test_another_school_cannot_ask(world, client, login_as, django_capture_on_commit_callbacks):
    login_as(world.staff_b)
    assert ask_for_school(client, world, django_capture_on_commit_callbacks).status_code == 404
    assert not LetterBatch.objects.exists() and not ActivationCode.objects.exists()


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_store_down_issues_no_code_and_marks_the_batch_failed(world, client, login_as, settings):
    settings.S3_ENDPOINT = f"127.0.0.1:{_closed_port()}"
    storage.reset_clients()
    try:
        batch = letters.do_request_school_letters(world.school, by=world.direction)
        batch = letters.do_build_letter_batch(batch.id)
    finally:
        storage.reset_clients()
    assert batch.status == LetterBatch.Status.FAILED and batch.key == ""
    assert not ActivationCode.objects.exists()
    login_as(world.direction)
    page = client.get(reverse("login_letters", args=[world.school.id])).content.decode()
    assert reverse("login_letters_download", args=[batch.id]) not in page
    assert client.get(reverse("login_letters_download", args=[batch.id])).status_code == 404


def test_expired_letters_are_purged(world, s3):
    batch = letters.do_build_letter_batch(letters.do_request_school_letters(world.school, by=world.direction).id)
    later = timezone.now() + timedelta(days=letters.LETTERS_DAYS + 1)
    assert privacy.purge_old_records(later, dry_run=True).details["letters"] == 1
    assert storage.stat(batch.key) is not None
    privacy.purge_old_records(later)
    assert storage.stat(batch.key) is None
    batch.refresh_from_db()
    assert batch.status == LetterBatch.Status.EXPIRED and not batch.is_downloadable
    assert privacy.purge_old_records(later).details["letters"] == 0


# Measured: 393 for 30 pupils and 60 new parents (about four per letter: a
# growth to watch, noted for the letters code); a page of N+1s would blow it.
QUERIES_FOR_A_CLASS = 400


def test_a_class_is_printed_at_once_and_fast(world, client, login_as, django_assert_max_num_queries):
    """A class of 30 pupils with two new parents each is printed in the request, not
    as a task, in a few queries whatever the class size (its speed is for the bench,
    not a timed unit test)."""
    for i in range(30):
        pupil = make_pupil(world.klass, f"fast_{i}")
        for j in range(2):
            link_guardian(make_user(f"fast_{i}_{j}"), pupil)
    login_as(world.direction)
    with django_assert_max_num_queries(QUERIES_FOR_A_CLASS) as captured:
        response = client.post(reverse("login_letters", args=[world.school.id]), {"school_class": world.klass.id})
        pdf = b"".join(response.streaming_content)
    print(f"class letters: {response['X-Letters-Count']} pages in {len(captured)} queries")
    assert response.status_code == 200 and int(response["X-Letters-Count"]) >= 90
    assert len(PdfReader(io.BytesIO(pdf)).pages) == int(response["X-Letters-Count"])
    assert not LetterBatch.objects.exists()
