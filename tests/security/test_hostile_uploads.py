"""Hostile uploads through every upload path, against a real S3 server.

For each path (homework attachments, homework hand-ins, absence notice documents,
CSV imports, media resources proposed with a file, media new versions, media
direct uploads to a presigned URL) and each hostile file: never a 500, a clear message when refused,
never an object left in the store without its row, never a row without its
object, storage keys made by the server (never from the name), names stored
short and printable. Then multipart bodies cut half-way (through the test client
and through a raw socket to a live server), and property-based tests of the type
checkers and of the CSV parser.
"""

import dataclasses
import datetime
import hashlib
import html
import json
import re
import socket
import tempfile
import unicodedata
import urllib.parse
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from absences import actions as absence_actions
from absences.models import AbsenceNotice
from ent import files as gate
from ent.directory.forms_admin import ImportUploadForm
from ent.directory.imports import parsing
from ent.directory.models import ImportJob
from ent.errors import FileRefused
from homework import files
from homework.models import Attachment, Entry, Submission
from media import actions as media_actions
from media import files as media_files
from media.models import Item, UploadTicket, Version
from messaging.models import Attachment as MessagingAttachment
from messaging.models import Conversation, Message
from tests.absences.conftest import make_reasons
from tests.homework.conftest import form_data, make_entry
from tests.security import hostile_files as hf

pytestmark = pytest.mark.django_db

TRIED: dict[str, int] = {}  # payloads sent per upload path, printed by each test


# --- The upload paths -------------------------------------------------------------------------


class UploadPath:
    """One way a person sends a file, seen from outside: the form it posts, the
    rows it writes, the store prefix it writes under."""

    name = ""
    prefix = ""
    key_re = re.compile("")
    name_max = 255
    safe_types: set = set()

    def __init__(self, world, client, login_as):
        self.world, self.client = world, client
        self.setup(login_as)

    def setup(self, login_as):
        raise NotImplementedError

    file_field = "file"

    def fields(self) -> dict:
        return {}

    def post(self, filename, content, *, content_type="application/octet-stream"):
        """The body is built here, not by the test client, which would clean the
        name first: the server must see the name exactly as a hostile client sends it."""
        body, multipart_type = hf.multipart(self.fields(), {self.file_field: (filename, content, content_type)})
        return self.client.generic("POST", self.url, body, content_type=multipart_type)

    def rows(self) -> int:
        raise NotImplementedError

    def stored(self) -> list[tuple[str, str, str]]:
        """(key, stored name, content type) of every file row of this path."""
        raise NotImplementedError

    def uploaded(self) -> list[tuple[str, str, str]]:
        """The rows of the files the test sent (stored() less what setup() made)."""
        return self.stored()

    multipart = True  # the file travels in a multipart body through Django

    def accepted(self, response) -> bool:
        return response.status_code == 302

    def oversize(self) -> bytes:
        raise NotImplementedError

    def expected_error(self, filename, content) -> str | None:
        """The message the checker gives for this file (None: refused before it, by Django)."""
        raise NotImplementedError


class HomeworkAttachment(UploadPath):
    name = "homework attachment"
    prefix = "homework/"
    key_re = re.compile(r"^homework/attachments/[0-9a-f]{32}$")
    name_max = 200
    safe_types = gate.HOMEWORK_TYPES

    def setup(self, login_as):
        login_as(self.world.teacher)
        self.url = reverse("homework:entry_create", args=[f"c{self.world.klass.id}"])

    file_field = "attachments"

    def fields(self):
        return form_data()

    def rows(self):
        return Entry.objects.count() + Attachment.objects.count()

    def stored(self):
        return list(Attachment.objects.values_list("key", "filename", "content_type"))

    def oversize(self):
        return hf.PDF + bytes(files.max_attachment_bytes() + 1 - len(hf.PDF))

    def expected_error(self, filename, content):
        try:
            gate.check(SimpleUploadedFile(filename, content), gate.HOMEWORK_ATTACHMENT)
        except FileRefused as exc:
            return str(exc.message)
        return None


class HomeworkHandIn(HomeworkAttachment):
    name = "homework hand-in"
    key_re = re.compile(r"^homework/submissions/[0-9a-f]{32}$")

    def setup(self, login_as):
        self.entry = make_entry(self.world, hand_in=True)
        login_as(self.world.pupil)
        self.url = reverse("homework:hand_in", args=[self.entry.id])

    file_field = "file"

    def fields(self):
        return {}

    def rows(self):
        return Submission.objects.count()

    def stored(self):
        return list(Submission.objects.exclude(key="").values_list("key", "filename", "content_type"))

    def accepted(self, response):
        return any(m.level_tag == "success" for m in response.wsgi_request._messages)

    def oversize(self):
        return hf.PDF + bytes(files.max_submission_bytes() + 1 - len(hf.PDF))

    def expected_error(self, filename, content):
        try:
            gate.check(SimpleUploadedFile(filename, content), gate.HOMEWORK_SUBMISSION)
        except FileRefused as exc:
            return str(exc.message)
        return None


class AbsenceDocument(UploadPath):
    name = "absence notice document"
    prefix = "absences/"
    key_re = re.compile(r"^absences/notices/\d+/[0-9a-f]{32}\.(pdf|jpg|png)$")
    name_max = 200
    safe_types = {"application/pdf", "image/jpeg", "image/png"}

    def setup(self, login_as):
        self.reasons = make_reasons(self.world.school)
        self.reason = self.reasons["family"]
        login_as(self.world.guardian)
        self.url = reverse("absences:declare", args=[self.world.pupil.id])
        self.day = timezone.localdate()

    file_field = "document"

    def fields(self):
        # A new day each time: two notices may not cover the same period.
        self.day += datetime.timedelta(days=1)
        return {
            "start_date": self.day.isoformat(),
            "start_half_day": "am",
            "end_date": self.day.isoformat(),
            "end_half_day": "pm",
            "reason": self.reason.id,
            "comment": "",
            # Some of these days are weekends: the declaration form's warning, confirmed.
            "confirm_dates": f"{self.day.isoformat()}/{self.day.isoformat()}",
        }

    def rows(self):
        return AbsenceNotice.objects.count()

    def stored(self):
        return list(
            AbsenceNotice.objects.exclude(document_key="").values_list("document_key", "document_name", "document_type")
        )

    def oversize(self):
        return hf.PDF + bytes(absence_actions.document_max_bytes() + 1 - len(hf.PDF))

    def expected_error(self, filename, content):
        try:
            absence_actions.check_document(SimpleUploadedFile(filename, content))
        except FileRefused as exc:
            return str(exc.message)
        return None


class CsvImport(UploadPath):
    name = "CSV import"
    prefix = "imports/"
    key_re = re.compile(r"^imports/\d+/[0-9a-f]{32}\.csv$")
    safe_types = {"text/csv"}

    def setup(self, login_as):
        login_as(self.world.direction)
        self.url = reverse("import_start", args=[self.world.school.id])

    def fields(self):
        return {"kind": "pupils", "scope": "classes"}

    def rows(self):
        return ImportJob.objects.count()

    def stored(self):
        return [(key, name, "text/csv") for key, name in ImportJob.objects.values_list("file_key", "file_name")]

    def oversize(self):
        return hf.CSV + b"x" * (parsing.MAX_BYTES + 1 - len(hf.CSV))

    def expected_error(self, filename, content):
        form = ImportUploadForm({"kind": "pupils", "scope": "classes"}, {"file": SimpleUploadedFile(filename, content)})
        if form.is_valid():
            return None
        return str(form.errors["file"][0]) if "file" in form.errors else None


class MessageAttachment(UploadPath):
    """A parent writes to a teacher with a file (before the gate, any zip named
    .docx passed here, bombs included)."""

    name = "message attachment"
    prefix = "messaging/"
    key_re = re.compile(r"^messaging/[0-9a-f]{32}$")
    name_max = 150
    safe_types = gate.MESSAGE_ATTACHMENT.types
    file_field = "files"

    def setup(self, login_as):
        login_as(self.world.guardian)
        self.url = reverse("messaging:new")

    def fields(self):
        return {"recipients": str(self.world.teacher.pk), "subject": "Certificat", "body": "Voir la pièce jointe"}

    def rows(self):
        return Conversation.objects.count() + Message.objects.count() + MessagingAttachment.objects.count()

    def stored(self):
        return list(MessagingAttachment.objects.values_list("key", "filename", "content_type"))

    def oversize(self):
        return hf.PDF + bytes(gate.MESSAGE_ATTACHMENT.max_bytes + 1 - len(hf.PDF))

    def expected_error(self, filename, content):
        try:
            gate.check(SimpleUploadedFile(filename, content), gate.MESSAGE_ATTACHMENT)
        except FileRefused as exc:
            return str(exc.message)
        return None


# The media app: resources of any kind, up to settings.MEDIA_MAX_UPLOAD_BYTES.
MEDIA_TYPES = gate.MEDIA_FILE.types
MEDIA_LIMIT = 5 * hf.MiB  # over the 2 MiB zip bombs, so they meet the type check


def media_error(user, school, content, kind) -> str | None:
    """The message the media checks give (size and quotas, then type by content)."""
    try:
        media_actions.check_upload_allowed(user, school, len(content))
        with tempfile.NamedTemporaryFile(prefix="ent-hostile-") as tmp:
            tmp.write(content)
            tmp.flush()
            media_actions.inspect_local(tmp.name, kind)
    except media_files.FileRefused as exc:
        return str(exc.message)
    return None


class MediaProposal(UploadPath):
    name = "media resource form"
    prefix = "media/"
    key_re = re.compile(r"^media/\d+/[0-9a-f]{32}$")
    name_max = 150
    safe_types = MEDIA_TYPES
    kind = "document"

    @staticmethod
    def configure(settings):
        settings.MEDIA_MAX_UPLOAD_BYTES = MEDIA_LIMIT

    def setup(self, login_as):
        login_as(self.world.teacher)
        self.url = reverse("media:propose")

    def fields(self):
        return {"school": self.world.school.id, "kind": self.kind, "title": "Cours", "description": ""}

    def rows(self):
        return Item.objects.count() + Version.objects.count() + UploadTicket.objects.count()

    def stored(self):
        return list(Version.objects.exclude(key="").values_list("key", "filename", "content_type"))

    def oversize(self):
        return hf.PDF + bytes(MEDIA_LIMIT + 1 - len(hf.PDF))

    def expected_error(self, filename, content):
        return media_error(self.world.teacher, self.world.school, content, self.kind)


class MediaNewVersion(MediaProposal):
    name = "media new version"

    def setup(self, login_as):
        login_as(self.world.teacher)
        self.item = media_actions.do_propose_item(
            self.world.teacher,
            self.world.school,
            {"kind": self.kind, "title": "Cours", "description": ""},
            uploaded=SimpleUploadedFile("premier", self.first_file()),
        )
        self.url = reverse("media:add_version", args=[self.item.id])

    def first_file(self) -> bytes:
        if self.kind == "apk":
            from tests.media.conftest import apk_bytes

            return apk_bytes("app-v1.apk")
        return hf.PDF

    def fields(self):
        return {}

    def uploaded(self):
        return list(Version.objects.exclude(key="").exclude(number=1).values_list("key", "filename", "content_type"))

    def accepted(self, response):
        return any(m.level_tag == "success" for m in response.wsgi_request._messages)


def put_object(url, data: bytes) -> int:
    request = urllib.request.Request(url, data=data, method="PUT")
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - the test S3 server
        return response.status


class MediaDirect(MediaProposal):
    """The browser asks for a presigned URL (media:upload_start), PUTs the bytes
    to the store itself, then says it is done (media:upload_finish): the server
    only checks what arrived. What the browser declares may be a lie."""

    name = "media direct upload"
    multipart = False

    def start(self, filename, size, sha256="", **extra):
        data = {**self.fields(), "filename": filename, "size": size, "sha256": sha256, **extra}
        return self.client.post(reverse("media:upload_start"), data, HTTP_ACCEPT="application/json")

    def post(self, filename, content, *, content_type="application/octet-stream", declared=None, sent=None):
        """Declared (size, sha256) default to the truth; `sent` defaults to the content."""
        size, sha256 = declared or (len(content), hashlib.sha256(content).hexdigest())
        started = self.start(filename, size, sha256)
        if started.status_code != 201:
            return started
        body = started.json()
        if sent is None or sent:
            assert put_object(body["put_url"], content if sent is None else sent) == 200
        return self.client.post(body["finish_url"], HTTP_ACCEPT="application/json")

    def accepted(self, response):
        return response.status_code == 201


PATHS = [
    HomeworkAttachment,
    HomeworkHandIn,
    AbsenceDocument,
    MessageAttachment,
    CsvImport,
    MediaProposal,
    MediaNewVersion,
    MediaDirect,
]
PATH_IDS = [p.name for p in PATHS]
MULTIPART_PATHS = [p for p in PATHS if p.multipart]


def _make_path(request):
    if hasattr(request.param, "configure"):
        request.param.configure(request.getfixturevalue("settings"))
    return request.param(
        request.getfixturevalue("world"), request.getfixturevalue("client"), request.getfixturevalue("login_as")
    )


@pytest.fixture(params=PATHS, ids=PATH_IDS)
def path(request, s3):
    return _make_path(request)


@pytest.fixture(params=MULTIPART_PATHS, ids=[p.name for p in MULTIPART_PATHS])
def form_path(request, s3):
    """The paths whose file goes through Django in a multipart body (the direct
    upload's bytes go to the store: see test_direct_upload_lies)."""
    return _make_path(request)


def store_keys(s3):
    return {
        key for prefix in ("homework/", "absences/", "messaging/", "imports/", "media/") for key in s3.list_keys(prefix)
    }


def assert_consistent(path, s3):
    """No row without its object, no object without its row."""
    rows = path.stored()
    keys = {key for key, _name, _type in rows}
    assert keys == set(s3.list_keys(path.prefix)), "store and rows disagree"
    for key, name, content_type in rows:
        assert path.key_re.match(key), f"key {key!r} not made by the server"
        assert content_type in path.safe_types, f"stored as {content_type!r}"
        assert_clean_name(name, path.name_max)


def assert_clean_name(name, limit):
    assert name and len(name) <= limit, f"bad length: {len(name)}"
    assert "/" not in name and "\\" not in name, name
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in name), repr(name)


def shown_text(response) -> str:
    """What the person reads: the page, and the messages of a redirect."""
    if response.get("Content-Type", "").startswith("application/json"):
        text = json.dumps(response.json(), ensure_ascii=False)
    else:
        text = html.unescape(response.content.decode(errors="replace"))
    return text + "\n".join(str(m) for m in response.wsgi_request._messages)


def send(path, s3, capture, filename, content):
    """Post one file; check the invariants that hold whatever the outcome."""
    before_rows, before_keys = path.rows(), store_keys(s3)
    with translation.override("fr"), capture(execute=True):
        response = path.post(filename, content)
    TRIED[path.name] = TRIED.get(path.name, 0) + 1
    assert response.status_code < 500
    accepted = path.accepted(response)
    if not accepted:
        assert path.rows() == before_rows, "a refused upload wrote rows"
        assert store_keys(s3) == before_keys, "a refused upload left a file in the store"
    assert_consistent(path, s3)
    return response, accepted


# What each path must do with each hostile file: refuse it, or accept it as a
# harmless type (the content type stored is the one downloads are served with).
PDF = "application/pdf"
MEDIA_PDF = {p.name: PDF for p in (MediaProposal, MediaNewVersion, MediaDirect)}
MESSAGE_PDF = {**MEDIA_PDF, "message attachment": PDF}
HOSTILE = [
    # label, file name, content, {path name: expected type or None for refused}
    ("windows executable named .pdf", "devoir.pdf", hf.WINDOWS_EXE, {}),
    ("ELF binary named .png", "photo.png", hf.ELF, {}),
    ("script with a NUL byte named .txt", "notes.txt", hf.SHELL_SCRIPT, {}),
    ("OpenDocument zip bomb (2 GiB mimetype)", "cours.odt", hf.odt_bomb, {}),
    ("Word zip bomb (2 GiB body)", "cours.docx", hf.docx_bomb, {}),
    ("plain zip bomb", "archive.zip", hf.plain_zip_bomb, {}),
    ("gzip bomb named .csv", "eleves.csv", hf.gzip_bomb, {}),
    ("zip holding a PDF and HTML", "doc.pdf", hf.zip_pdf_polyglot, {}),
    (
        "PDF that is also a zip",
        "doc.pdf",
        hf.pdf_zip_polyglot,
        {"homework attachment": PDF, "homework hand-in": PDF, "absence notice document": PDF, **MESSAGE_PDF},
    ),
    (
        "PDF that is also HTML",
        "doc.pdf",
        hf.pdf_html_polyglot,
        {"homework attachment": PDF, "homework hand-in": PDF, "absence notice document": PDF, **MESSAGE_PDF},
    ),
    (
        "PNG that is also a zip",
        "image.png",
        hf.png_zip_polyglot,
        {
            "homework attachment": "image/png",
            "homework hand-in": "image/png",
            "absence notice document": "image/png",
            "message attachment": "image/png",
        },
    ),
    (
        "GIF that is also JavaScript",
        "anim.gif",
        lambda: hf.GIF_JS,
        {"homework attachment": "image/gif", "homework hand-in": "image/gif", "message attachment": "image/gif"},
    ),
    # Stricter since the one file gate (ent/files.py): text whose name says
    # .pdf or .svg does not match its name, and is refused everywhere (homework
    # took both as text/plain, the CSV import as text/csv).
    ("HTML page named .pdf", "doc.pdf", lambda: hf.HTML, {}),
    ("SVG with scripts", "image.svg", lambda: hf.SVG, {}),
]


@pytest.mark.parametrize("label, filename, make, expected", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_file(path, s3, django_capture_on_commit_callbacks, label, filename, make, expected):
    content = make() if callable(make) else make
    want = expected.get(path.name)
    with translation.override("fr"):
        message = path.expected_error(filename, content)
    response, accepted = send(path, s3, django_capture_on_commit_callbacks, filename, content)
    if want is None:
        assert not accepted, f"{label} was accepted by the {path.name}"
        assert message, "the checker itself should refuse it"
        assert message in shown_text(response), f"no clear message for {label}"
    else:
        assert accepted, f"{label} refused by the {path.name}: {shown_text(response)[-400:]}"
        ((_key, _name, content_type),) = path.uploaded()
        assert content_type == want
    print(f"{path.name}: {label}: {'accepted as ' + want if want else 'refused'}")


def test_oversize_file(path, s3, django_capture_on_commit_callbacks):
    content = path.oversize()
    with translation.override("fr"):
        message = path.expected_error("gros.pdf", content)
    response, accepted = send(path, s3, django_capture_on_commit_callbacks, "gros.pdf", content)
    assert not accepted and message and message in shown_text(response)
    print(f"{path.name}: {len(content)} bytes refused: {message}")


def test_empty_file(path, s3, django_capture_on_commit_callbacks):
    response, accepted = send(path, s3, django_capture_on_commit_callbacks, "vide.pdf", b"")
    assert not accepted
    text = shown_text(response)
    # Django's own message for an empty upload, or the app's.
    assert "vide" in text or "empty" in text or "obligatoire" in text


def valid_content(path):
    return hf.CSV if isinstance(path, CsvImport) else hf.PDF


def test_odd_names(path, s3, django_capture_on_commit_callbacks):
    """Traversal, NUL, control and bidi characters, reserved and very long names:
    the file is stored under a key the server made, with a clean short name."""
    stored_names, refused = set(), []
    for name in hf.ODD_NAMES:
        before = set(path.stored())
        response, accepted = send(path, s3, django_capture_on_commit_callbacks, name, valid_content(path))
        if accepted:
            stored_names |= {n for _key, n, _type in set(path.stored()) - before}
        elif response.status_code == 400:
            refused.append(name)  # a part header Django cannot parse: the request is refused whole
        else:
            refused.append(name)
            if not isinstance(path, HomeworkAttachment) or isinstance(path, HomeworkHandIn):
                # A name Django drops ("", ".", "..") leaves no file: the person is told.
                assert re.search(r"obligatoire|fichier|document|corriger", shown_text(response), re.I)
    assert not {".", ".."} & stored_names
    assert "passwd" in stored_names  # "../../etc/passwd" keeps only its last part
    # Stricter since the one file gate: a name whose extension says something else
    # than the content ("fdp.exe" holding a PDF, "x.pdf;.html", a CSV named .pdf)
    # is refused on the gate's paths; media has its own checks for now.
    if not isinstance(path, MediaProposal):
        content_type = gate.TEXT if isinstance(path, CsvImport) else gate.PDF
        refused = [n for n in refused if gate.extension(gate.safe_filename(n)) in ("", *gate.EXTENSIONS[content_type])]
    assert len(refused) <= 5, refused
    print(
        f"{path.name}: {len(hf.ODD_NAMES)} odd names, {len(stored_names)} stored under server keys, refused {refused}"
    )


@pytest.mark.parametrize("label, filename, make", [HOSTILE[8][:3], HOSTILE[9][:3], HOSTILE[10][:3]])
def test_polyglot_downloads_are_attachments_of_a_safe_type(
    world, client, login_as, s3, django_capture_on_commit_callbacks, label, filename, make
):
    """An accepted polyglot is served as what it was checked to be, as a download:
    the browser never renders it as HTML (once the antivirus offered it)."""
    login_as(world.teacher)
    url = reverse("homework:entry_create", args=[f"c{world.klass.id}"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {**form_data(), "attachments": [SimpleUploadedFile(filename, make())]})
    attachment = Attachment.objects.get()
    response = client.get(reverse("homework:attachment_download", args=[attachment.id]))
    with urllib.request.urlopen(response.url, timeout=10) as download:
        assert download.headers["Content-Type"] == attachment.content_type != "text/html"
        assert download.headers["Content-Disposition"].startswith("attachment;")


# --- The media direct upload: what the browser declares may be a lie ----------------------------


def _apk_with(members) -> bytes:
    return hf.stored_zip(members)


def _invalid_apk():
    """Has the two members that make a zip an APK, and nothing an APK needs."""
    return _apk_with([("AndroidManifest.xml", b"not binary XML"), ("resources.arsc", b"\x00" * 64)])


def _apk_bomb():
    """An APK whose manifest (what the review parses) expands to 2 GiB."""
    return hf.zip_with_raw(
        [("AndroidManifest.xml", *hf.bomb_member(2 * hf.GiB)), ("resources.arsc", *hf._deflated(b"x"))]
    )


HALF = len(hf.PDF) // 2
LIES = [
    # label, kind, content, declared (size, sha256) or None for the truth, bytes sent (None: the content, b"": none)
    ("declared size larger than what was sent", "document", hf.PDF, (len(hf.PDF) + 1000, ""), None),
    ("declared size smaller than what was sent", "document", hf.PDF, (HALF, ""), None),
    ("upload stopped half-way", "document", hf.PDF, None, hf.PDF[:HALF]),
    ("nothing sent", "document", hf.PDF, None, b""),
    ("wrong SHA-256", "document", hf.PDF, (len(hf.PDF), hashlib.sha256(b"other").hexdigest()), None),
    ("SHA-256 that is no SHA-256", "document", hf.PDF, (len(hf.PDF), "z" * 64), None),
    ("different bytes of the same size", "document", hf.PDF, None, hf.PDF.replace(b"1.4", b"9.9")),
    ("windows executable declared a PDF", "document", hf.WINDOWS_EXE, None, None),
    ("HTML page declared a PDF", "document", hf.HTML, None, None),
    ("PNG sent as a document", "document", hf.PNG, None, None),
    ("Word zip bomb (2 GiB body)", "document", hf.docx_bomb(), None, None),
    ("OpenDocument zip bomb (2 GiB mimetype)", "document", hf.odt_bomb(), None, None),
    ("APK that is not valid", "apk", _invalid_apk(), None, None),
    ("APK zip bomb (2 GiB manifest)", "apk", _apk_bomb(), None, None),
    ("document sent as an APK", "apk", hf.PDF, None, None),
]


@pytest.mark.parametrize("label, kind, content, declared, sent", LIES, ids=[lie[0] for lie in LIES])
def test_direct_upload_lies(world, client, login_as, s3, settings, label, kind, content, declared, sent):
    """Whatever the browser declared and sent: a 400 with a clear message, the
    object deleted, no ticket, no item, no version."""
    MediaDirect.configure(settings)
    path = MediaDirect(world, client, login_as)
    path.kind = kind
    before_rows = path.rows()
    with translation.override("fr"):
        response = path.post("cours.pdf", content, declared=declared, sent=sent)
    TRIED[path.name] = TRIED.get(path.name, 0) + 1
    assert response.status_code == 400, response.content[:300]
    message = response.json()["error"]
    assert message and "Traceback" not in message
    assert path.rows() == before_rows and not UploadTicket.objects.exists()
    assert store_keys(s3) == set(), "a refused direct upload left its object in the store"
    print(f"{path.name}: {label}: refused: {message}")


@pytest.mark.parametrize("label, make", [("APK that is not valid", _invalid_apk), ("APK zip bomb", _apk_bomb)])
@pytest.mark.parametrize("path_class", [MediaProposal, MediaNewVersion], ids=lambda c: c.name)
def test_media_form_refuses_bad_apks(
    world, client, login_as, s3, settings, django_capture_on_commit_callbacks, path_class, label, make
):
    """The streamed paths with an APK: the review data cannot be read, or the
    manifest is a bomb: refused with the checker's message, nothing kept."""
    path_class.configure(settings)
    # The same paths for an Android app (a new version's item is an app, its first file a valid one).
    path = type(path_class.__name__, (path_class,), {"kind": "apk"})(world, client, login_as)
    content = make()
    with translation.override("fr"):
        message = path.expected_error("app.apk", content)
    response, accepted = send(path, s3, django_capture_on_commit_callbacks, "app.apk", content)
    assert not accepted and message and message in shown_text(response)
    print(f"{path.name}: {label}: refused: {message}")


# --- Zip bombs at the checker -------------------------------------------------------------------


def test_zip_bomb_is_refused_without_expanding_it():
    """The type check of an office document must not expand its members: a 2 MB
    file claiming 2 GiB is refused in milliseconds with bounded memory."""
    import time
    import tracemalloc

    for bomb in (hf.odt_bomb(), hf.docx_bomb()):
        tracemalloc.start()
        started = time.monotonic()
        try:
            with pytest.raises(FileRefused):
                gate.check(SimpleUploadedFile("cours.odt", bomb), gate.HOMEWORK_ATTACHMENT)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 20 * hf.MiB, f"the check allocated {peak // hf.MiB} MiB"
        assert time.monotonic() - started < 5


# --- Truncated uploads --------------------------------------------------------------------------


def _form_for(path):
    """(url, fields, file field name) of a path's form, as a browser would send it."""
    fields = path.fields()
    if isinstance(path, AbsenceDocument):
        # A reason that needs a document: without the file nothing may be recorded.
        fields["reason"] = path.reasons["doctor"].id
    return path.url, fields, path.file_field


def _cuts(body: bytes, content: bytes):
    start = body.index(content)
    return {
        "in the file": start + len(content) // 2,
        "in the file's headers": body.rindex(b"Content-Type", 0, start) + 5,
        "before the last boundary": start + len(content) + 2,
    }


def test_truncated_multipart_body(form_path, s3, django_capture_on_commit_callbacks):
    """A body cut half-way (the client stopped sending): the cut file is never
    stored, nothing mandatory is recorded without it, never a 500."""
    path = form_path
    content = valid_content(path) + b"%" * 300_000
    url, fields, field = _form_for(path)
    body, content_type = hf.multipart(fields, {field: ("travail.pdf", content, "application/pdf")})
    attachments_before = Attachment.objects.count()
    for label, cut in _cuts(body, content).items():
        before_rows, before_keys = path.rows(), store_keys(s3)
        with django_capture_on_commit_callbacks(execute=True):
            response = path.client.generic("POST", url, body[:cut], content_type=content_type)
        TRIED[path.name] = TRIED.get(path.name, 0) + 1
        assert response.status_code < 500, label
        assert store_keys(s3) == before_keys, f"cut {label}: a file was stored"
        assert Attachment.objects.count() == attachments_before
        # ent.uploads refuses a request whose file part never ended: no row at all.
        # A cut inside the part's own headers leaves no file part to speak of:
        # the server sees a form without an attachment, which is a valid entry
        # (attachments are optional there), and nothing is half-recorded.
        optional_file = isinstance(path, MessageAttachment) or (
            isinstance(path, HomeworkAttachment) and not isinstance(path, HomeworkHandIn)
        )
        if not (optional_file and label == "in the file's headers"):
            assert path.rows() == before_rows, f"cut {label}: a row was written without its file"
        assert_consistent(path, s3)


def _raw_post(server_url, path, *, cookie, body: bytes, content_type: str, send_bytes: int) -> bytes:
    """Send the headers of the whole body, then only `send_bytes` of it, and close
    our side: what a browser whose connection dropped looks like to the server."""
    parsed = urllib.parse.urlparse(server_url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=20) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {parsed.hostname}:{parsed.port}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"Cookie: {cookie}\r\nConnection: close\r\n\r\n"
        ).encode()
        sock.sendall(head + body[:send_bytes])
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
    return b"".join(chunks)


@pytest.mark.django_db(transaction=True)
def test_truncated_upload_to_a_live_server(form_path, s3, live_server, client):
    """The same over a real socket: Content-Length promises the whole body, half
    of it arrives, the client closes its side."""
    path = form_path
    content = valid_content(path) + b"%" * 600_000
    url, fields, field = _form_for(path)
    csrf = "a" * 32
    body, content_type = hf.multipart(
        {"csrfmiddlewaretoken": csrf, **fields}, {field: ("travail.pdf", content, "application/pdf")}
    )
    cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={csrf}"
    attachments_before, rows_before, keys_before = Attachment.objects.count(), path.rows(), store_keys(s3)
    raw = _raw_post(
        live_server.url, url, cookie=cookie, body=body, content_type=content_type, send_bytes=body.index(content) + 1000
    )
    TRIED[path.name] = TRIED.get(path.name, 0) + 1
    status = int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/") else None
    assert status is None or status < 500, raw[:300]
    assert store_keys(s3) == keys_before
    assert Attachment.objects.count() == attachments_before
    assert path.rows() == rows_before
    assert_consistent(path, s3)
    print(f"{path.name}: truncated upload over a socket answered {status}, {path.rows() - rows_before} rows written")


# --- Property-based: the checkers and the CSV parser ----------------------------------------------

# The homework surface with a 4 KB limit.
SMALL = dataclasses.replace(gate.HOMEWORK_ATTACHMENT, max_bytes_setting="TEST_NO_SUCH_SETTING", default_max_bytes=4096)
FAST = hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ACCEPTED_TYPES = HomeworkAttachment.safe_types


@FAST
@given(content=st.binary(min_size=1, max_size=6000), name=st.text(max_size=300))
def test_homework_checker_on_random_bytes(content, name):
    try:
        content_type = gate.check(SimpleUploadedFile("f" + name.replace("/", ""), content), SMALL).content_type
    except FileRefused as exc:
        assert str(exc.message)
    else:
        assert content_type in ACCEPTED_TYPES and len(content) <= 4096


def _office_zip():
    return hf.stored_zip([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w/>" * 50)])


def _odt_zip():
    return hf.stored_zip([("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<o/>" * 50)])


@FAST
@given(
    base=st.sampled_from([_office_zip(), _odt_zip(), hf.odt_bomb(8 * hf.MiB)]),
    flips=st.lists(st.tuples(st.integers(min_value=0, max_value=10**6), st.integers(0, 255)), max_size=8),
    cut=st.none() | st.integers(min_value=4, max_value=10**6),
)
def test_homework_checker_on_corrupted_zips(base, flips, cut):
    """Office documents damaged anywhere (headers, sizes, compression method,
    flags): a type or FileRefused, nothing else."""
    data = bytearray(base)
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: max(4, cut % len(data))]
    try:
        content_type = gate.check(SimpleUploadedFile("doc.docx", bytes(data)), gate.HOMEWORK_ATTACHMENT).content_type
    except FileRefused:
        return
    assert content_type in ACCEPTED_TYPES


@FAST
@given(content=st.binary(min_size=1, max_size=3000))
def test_absence_checker_on_random_bytes(content, settings):
    settings.ABSENCE_DOCUMENT_MAX_BYTES = 2048
    try:
        checked = absence_actions.check_document(SimpleUploadedFile("x", content))
    except FileRefused as exc:
        assert str(exc.message)
    else:
        assert checked.content_type in AbsenceDocument.safe_types and checked.extension in (".pdf", ".jpg", ".png")


@FAST
@given(
    base=st.sampled_from([_office_zip(), _odt_zip(), hf.odt_bomb(8 * hf.MiB), _invalid_apk()]),
    flips=st.lists(st.tuples(st.integers(min_value=0, max_value=10**6), st.integers(0, 255)), max_size=8),
    cut=st.none() | st.integers(min_value=4, max_value=10**6),
)
def test_media_sniffer_on_corrupted_zips(base, flips, cut):
    """The media type check on damaged zips and random heads: a known type or None."""
    data = bytearray(base)
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: max(4, cut % len(data))]
    with tempfile.NamedTemporaryFile(prefix="ent-hostile-") as tmp:
        tmp.write(bytes(data))
        tmp.flush()
        sniffed = media_files.sniff(tmp.name)
    assert sniffed is None or sniffed.content_type in MEDIA_TYPES


KINDS = st.sampled_from([parsing.PUPILS, parsing.STAFF])


def _assert_report(parsed):
    for issue in parsed.errors + parsed.warnings:
        assert set(issue) == {"line", "field", "code", "params"}
        from ent.directory.imports.messages import MESSAGES

        assert issue["code"] in MESSAGES


@FAST
@given(data=st.binary(max_size=4000), kind=KINDS)
def test_csv_parser_on_random_bytes(data, kind):
    """Any bytes: a report, never an exception, never a row."""
    parsed = parsing.parse_bytes(data, kind)
    assert parsed.rows == [] and parsed.errors
    _assert_report(parsed)


@FAST
@given(text=st.text(max_size=3000), kind=KINDS, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
def test_csv_parser_on_random_text(text, kind, encoding):
    parsed = parsing.parse_bytes(text.encode(encoding, errors="replace"), kind)
    assert parsed.rows == [] and parsed.errors
    _assert_report(parsed)


CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@FAST
@given(
    rows=st.lists(st.lists(CELL, max_size=9), max_size=30),
    delimiter=st.sampled_from([";", ",", "\t"]),
)
def test_csv_parser_rows_under_a_valid_header(rows, delimiter):
    """A real header then random cells: every row either has every mandatory
    value in shape, or an error on its line; values never exceed their limits."""
    header = ["nom", "prénom", "date de naissance", "classe", "INE", "courriel responsable 1", "nom responsable 1"]
    lines = [delimiter.join(header)] + [
        delimiter.join(c.replace(delimiter, " ").replace('"', "") for c in row) for row in rows
    ]
    parsed = parsing.parse_bytes("\n".join(lines).encode(), parsing.PUPILS)
    _assert_report(parsed)
    error_lines = {e["line"] for e in parsed.errors}
    for row in parsed.rows:
        for name, value in row.values.items():
            if isinstance(value, str):
                assert len(value) <= parsing.MAX_LENGTH.get(name, 10**6)
        if row.line not in error_lines:
            assert all(row.values.get(f) for f in parsing.MANDATORY[parsing.PUPILS])
            assert isinstance(row.values["birth_date"], datetime.date)


def test_counts_are_printed():
    """Runs last in this module: the number of hostile uploads sent per path."""
    for name, count in sorted(TRIED.items()):
        print(f"hostile uploads sent through the {name}: {count}")
