"""The one file gate (ent/files.py) on its own: type by content, zip containers
with a size and ratio bound, names that must match the content, one size policy
per surface, clamd's verdicts, and a scan that waits while clamd is down."""

import datetime
import io
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from ent import files
from ent.errors import FileRefused
from tests.clamd import EICAR
from tests.file_gate import EICAR_PDF, PDF, docx, docx_bomb
from tests.security import hostile_files as hf


def up(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def refusal(name, content, surface=files.HOMEWORK_ATTACHMENT) -> str:
    with pytest.raises(FileRefused) as caught:
        files.check(up(name, content), surface)
    return str(caught.value.message)


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("fiche.pdf", PDF, files.PDF),
        ("photo.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 32, files.JPEG),
        ("plan.png", hf.PNG, files.PNG),
        ("cours.docx", docx(), files.DOCX),
        ("notes.txt", "Révisions du chapitre 3\n".encode(), files.TEXT),
        ("eleves.csv", "nom;prénom\nMARTIN;Léa\n".encode("latin-1"), files.TEXT),
        ("sans-extension", PDF, files.PDF),
    ],
)
def test_accepted_by_content(name, content, expected):
    checked = files.check(up(name, content), files.HOMEWORK_ATTACHMENT)
    assert checked.content_type == expected and checked.size == len(content)


def test_a_zip_bomb_named_docx_is_refused_with_its_reason_without_expanding_it():
    bomb = docx_bomb()
    started = time.monotonic()
    with translation.override("en"):
        message = refusal("cours.docx", bomb, files.MESSAGE_ATTACHMENT)
    assert "zip bomb" in message and "cours.docx" in message
    assert time.monotonic() - started < 5
    with translation.override("fr"):
        assert "bombe" in refusal("cours.docx", bomb, files.MESSAGE_ATTACHMENT)


def test_the_ratio_bound_catches_a_bomb_under_the_absolute_bound():
    # 64 MiB of zeros deflate to ~64 KB: under 256 MiB, but 1000x its size.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\x00" * (64 * files.MiB))
    assert files.sniff(io.BytesIO(buffer.getvalue()), len(buffer.getvalue())).problem == "bomb"
    # A real document of the same kind passes.
    assert files.sniff(io.BytesIO(docx(b"<w:p>texte</w:p>" * 1000))).content_type == files.DOCX


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("photo.pdf", hf.PNG, ("PNG image", "“.pdf”")),
        ("devoir.docx", PDF, ("PDF document", "“.docx”")),
        ("page.pdf", hf.HTML, ("text file", "“.pdf”")),
        ("image.svg", hf.SVG, ("text file", "“.svg”")),
    ],
)
def test_content_that_does_not_match_the_name_is_refused(name, content, words):
    with translation.override("en"):
        message = refusal(name, content)
    assert "does not match" in message and all(w in message for w in words), message


@pytest.mark.parametrize(
    "name, content, word",
    [
        ("devoir.pdf", hf.WINDOWS_EXE, "program"),
        ("photo.png", hf.ELF, "program"),
        ("cours.docx", b"PK\x03\x04" + b"\x00" * 40, "damaged"),
        ("vide.pdf", b"", "empty"),
        ("archive.zip", hf.stored_zip([("a.txt", b"a")]), "not of an accepted type"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(name, content, word):
    with translation.override("en"):
        assert word in refusal(name, content)


def test_one_size_policy_per_surface(settings):
    settings.ABSENCE_DOCUMENT_MAX_BYTES = 100
    settings.MESSAGING_MAX_ATTACHMENT_BYTES = 1000
    big = PDF + b"%" * 200
    with translation.override("en"):
        assert "too large" in refusal("note.pdf", big, files.ABSENCE_DOCUMENT)
    assert files.check(up("note.pdf", big), files.MESSAGE_ATTACHMENT).content_type == files.PDF
    assert files.check(up("note.pdf", big), files.HOMEWORK_ATTACHMENT).content_type == files.PDF


def test_each_surface_accepts_its_own_types():
    text = up("notes.txt", b"bonjour\n")
    assert files.check(text, files.HOMEWORK_SUBMISSION).content_type == files.TEXT
    with translation.override("en"):
        assert "PDF, JPEG or PNG" in refusal("notes.txt", b"bonjour\n", files.ABSENCE_DOCUMENT)
        assert "not of an accepted type" in refusal("notes.txt", b"bonjour\n", files.MESSAGE_ATTACHMENT)
        assert "spreadsheet" in refusal("eleves.xlsx", xlsx(), files.CSV_IMPORT)


def test_messages_are_translated():
    with translation.override("fr"):
        assert "vide" in refusal("vide.pdf", b"")
        assert "ne correspond pas" in refusal("photo.pdf", hf.PNG)


def test_names_are_made_safe():
    assert files.safe_filename("../../etc/passwd") == "passwd"
    assert files.safe_filename("C:\\x\\a.pdf") == "a.pdf"
    assert files.safe_filename("a\u202egpj.exe") == "agpj.exe"
    assert files.safe_filename("") == "fichier"


# --- clamd ------------------------------------------------------------------------------------


def test_clamd_verdicts(av):
    assert files.scan_stream(io.BytesIO(PDF)) == (True, "")
    clean, signature = files.scan_stream(io.BytesIO(EICAR))
    assert not clean and signature.startswith("Test.EICAR")
    assert files.scan_stream(io.BytesIO(EICAR_PDF))[0] is False
    assert files.scan_stream(io.BytesIO(docx(EICAR)))[0] is False, "clamd must look inside the zip"


def test_clamd_down_gives_no_verdict(settings):
    settings.CLAMD_SOCKET = "/tmp/nonexistent-ent-clamd.sock"
    with pytest.raises(files.ScannerUnavailable):
        files.scan_stream(io.BytesIO(PDF))
    settings.CLAMD_SOCKET = ""
    settings.CLAMD_HOST = ""
    assert not files.scanner_configured()
    with pytest.raises(files.ScannerUnavailable):
        files.scan_stream(io.BytesIO(PDF))


# --- A scan that cannot run: held, retried, then done ------------------------------------------


@pytest.mark.django_db
def test_clamd_down_keeps_the_file_held_and_the_scan_is_retried(
    world, s3, settings, monkeypatch, client, login_as, django_capture_on_commit_callbacks
):
    from celery.exceptions import Retry
    from django.urls import reverse

    from homework.models import Attachment
    from tests.homework.conftest import form_data

    socket_path = settings.CLAMD_SOCKET
    settings.CLAMD_SOCKET = "/tmp/nonexistent-ent-clamd.sock"
    login_as(world.teacher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("homework:entry_create", args=[f"c{world.klass.id}"]),
            {**form_data(), "attachments": [up("fiche.pdf", PDF)]},
        )
    assert response.status_code == 302, "a scanner outage must not fail the upload"
    attachment = Attachment.objects.get()
    assert attachment.scan == files.ScanState.HELD
    login_as(world.pupil)
    assert client.get(reverse("homework:attachment_download", args=[attachment.id])).status_code == 403

    # On a worker (not eager) the task asks Celery to retry later.
    args = [files.HOMEWORK_ATTACHMENT.name, attachment.id]
    files.scan_stored_file.push_request(is_eager=False, called_directly=False, retries=0, args=args, kwargs={})
    try:
        with pytest.raises(Retry):
            files.scan_stored_file.run(*args)
    finally:
        files.scan_stored_file.pop_request()
    attachment.refresh_from_db()
    assert attachment.scan == files.ScanState.HELD

    # clamd is back: the beat's sweep queues what is still held.
    settings.CLAMD_SOCKET = socket_path
    monkeypatch.setattr(files, "HELD_RESCAN_AFTER", datetime.timedelta(0))
    with django_capture_on_commit_callbacks(execute=True):
        files.rescan_held()
    attachment.refresh_from_db()
    assert attachment.scan == files.ScanState.OFFERED
    assert client.get(reverse("homework:attachment_download", args=[attachment.id])).status_code == 302
