"""The one gate for uploaded files: type by content, size per surface, antivirus,
quarantine, and the download that respects all of it.

Every upload surface (homework attachments and hand-ins, parents' absence
documents, message attachments, CSV imports) goes through the same steps:

1. ``check(upload, SURFACE)``: not empty, not over the surface's size, a type the
   surface accepts *by its bytes* (magic numbers; zip containers opened with a
   bound on what they expand to, against zip bombs), and a name whose extension
   says the same thing as the content. Refusals raise ``FileRefused`` with a
   message a person can read (French and English).
2. The app streams the file to the object store and writes its row with
   ``scan = HELD``, then calls ``scan_after_commit(SURFACE, row)``.
3. A Celery task streams the object to clamd (INSTREAM). Clean: ``OFFERED``.
   A threat: ``INFECTED``, the object deleted, the owner notified. clamd or the
   store down: the task retries with a back-off, and ``rescan_held`` (beat,
   every 5 minutes) picks up whatever is still held; the file stays held, never
   offered, until a verdict is reached.
4. Downloads go through ``download(request, row, SURFACE)``: a short-lived
   presigned link for an offered file, a page saying why for anything else
   (403, the owner included).

The quarantine is the held state: a held file exists in the store under a key
only the server knows and no link to it is ever handed out. An infected file is
not kept (nobody may open it, and keeping malware helps no one).

Media's versions and images pass the same check by content (``sniff`` with the
``MEDIA_FILE`` surface's zip bounds; media/files.py maps the type to the item's
kind and reads APKs further), carry the same states (``Scanned``) and are
scanned by the same flow (``do_scan_file``, ``record_verdict``); what else a
verdict does is in the surfaces' after_scan hooks (media/actions/scans.py: a
clean APK update may be approved automatically, an infected one is rejected).
Media's own tasks queue those scans and its beat sweep retries them.
"""

import logging
import os
import socket
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import timedelta

from celery import shared_task
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from ent import storage
from ent.celery import queue
from ent.errors import FileHeld, FileInfected, FileNotOffered, FileRefused, StorageUnavailable
from ent.pagecache import bump_after_commit

log = logging.getLogger(__name__)

MiB = 1024 * 1024


# --- States ---------------------------------------------------------------------------------


class ScanState(models.TextChoices):
    HELD = "held", _("held: being checked by the antivirus")
    OFFERED = "offered", _("offered: no threat found")
    INFECTED = "infected", _("infected: refused and deleted")


def scan_field(**kwargs):
    """The state column every scanned file row carries (an index: the beat
    sweep looks for held rows)."""
    return models.CharField(
        _("antivirus check"), max_length=10, choices=ScanState.choices, default=ScanState.HELD, db_index=True, **kwargs
    )


class Scanned(models.Model):
    """Fields of a row that points at an uploaded file. Rows with the key under
    another name (absence notices, import jobs) declare it on their surface."""

    scan = scan_field()
    scan_signature = models.CharField(max_length=200, blank=True, default="")
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_offered(self):
        return self.scan == ScanState.OFFERED

    @property
    def is_held(self):
        return self.scan == ScanState.HELD

    @property
    def is_infected(self):
        return self.scan == ScanState.INFECTED


# --- Types by content -----------------------------------------------------------------------

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
TEXT = "text/plain"
MP3 = "audio/mpeg"
M4A = "audio/mp4"
MP4 = "video/mp4"
WEBM = "video/webm"
OGG = "audio/ogg"
FLAC = "audio/flac"
WAV = "audio/wav"
APK = "application/vnd.android.package-archive"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
# Recognised only to say "this is a spreadsheet, save it as CSV" (never accepted).
OLE = "application/x-ole-storage"

# The names a file of each type may carry: a name saying something else is a
# file pretending to be what it is not (or a mistake worth telling the sender).
EXTENSIONS = {
    PDF: {".pdf"},
    PNG: {".png"},
    JPEG: {".jpg", ".jpeg", ".jpe", ".jfif"},
    GIF: {".gif"},
    WEBP: {".webp"},
    TEXT: {".txt", ".text", ".csv", ".tsv", ".md"},
    MP3: {".mp3"},
    M4A: {".m4a", ".mp4", ".aac"},
    MP4: {".mp4", ".m4v", ".mov"},
    WEBM: {".webm", ".mkv"},
    OGG: {".ogg", ".oga", ".ogv", ".opus"},
    FLAC: {".flac"},
    WAV: {".wav"},
    APK: {".apk"},
    ODT: {".odt"},
    ODS: {".ods"},
    ODP: {".odp"},
    DOCX: {".docx"},
    XLSX: {".xlsx"},
    PPTX: {".pptx"},
    OLE: {".xls", ".doc", ".ppt"},
}
# The extension given to a stored key, when a surface puts one there.
MAIN_EXTENSION = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", TEXT: ".txt"}

_ODF = {b"application/vnd.oasis.opendocument." + kind: t for kind, t in ((b"text", ODT), (b"spreadsheet", ODS))}
_ODF[b"application/vnd.oasis.opendocument.presentation"] = ODP
_OOXML = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
_EXECUTABLE = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xca\xfe\xba\xbe", b"#!")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEAD_BYTES = 8192

# Zip containers (office documents): what the members declare they expand to
# bounds what any reader (ours, clamd's, the recipient's) will have to unpack.
# A file expanding past ZIP_MAX_UNZIPPED_BYTES, or past ZIP_RATIO_FLOOR_BYTES at
# more than ZIP_MAX_RATIO times its own size, is a zip bomb. Real documents stay
# far below: text XML compresses 5-20x, pictures barely at all.
ZIP_MAX_UNZIPPED_BYTES = 256 * MiB
ZIP_RATIO_FLOOR_BYTES = 16 * MiB
ZIP_MAX_RATIO = 100
ZIP_MAX_MEMBERS = 10_000


@dataclass(frozen=True)
class ZipBounds:
    """What a zip container may declare it expands to before it is a zip bomb:
    past ``max_unzipped`` bytes, or past ``ratio_floor`` bytes at more than
    ``max_ratio`` times its own size, or more than ``max_members`` members
    (None: no such bound)."""

    max_unzipped: int | None = ZIP_MAX_UNZIPPED_BYTES
    ratio_floor: int = ZIP_RATIO_FLOOR_BYTES
    max_ratio: int = ZIP_MAX_RATIO
    max_members: int | None = ZIP_MAX_MEMBERS


DOCUMENT_ZIPS = ZipBounds()


@dataclass(frozen=True)
class Sniffed:
    content_type: str | None
    problem: str = ""  # "executable", "bomb", "damaged", "unknown" when content_type is None


def sniff(fh, size: int | None = None, bounds: ZipBounds = DOCUMENT_ZIPS) -> Sniffed:
    """What a file is, from its bytes. ``fh`` is a binary file object (an upload
    or an open file); its position is restored. Zip containers are held to
    ``bounds`` (the surface's)."""
    start = fh.tell() if hasattr(fh, "tell") else 0
    fh.seek(0)
    head = fh.read(HEAD_BYTES)
    fh.seek(start)
    if head.startswith(_EXECUTABLE):
        return Sniffed(None, "executable")
    found = _sniff_head(head)
    if found:
        return Sniffed(found)
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(fh, start, size, bounds)
    if head.startswith(_OLE_MAGIC):
        return Sniffed(OLE)
    if _is_text(head):
        return Sniffed(TEXT)
    return Sniffed(None, "unknown")


def _sniff_head(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"fLaC"):
        return FLAC
    if head.startswith(b"ID3") or head[:2] in _MPEG_AUDIO_SYNC:
        return MP3
    if head[4:8] == b"ftyp":
        # "M4A " music, "M4B " audiobooks; every other brand is a video.
        return M4A if head[8:11] in (b"M4A", b"M4B") else MP4
    return None


# An MPEG audio frame without an ID3 tag: the 11-bit sync, then the version
# (1, 2 or 2.5) and layer II or III, with or without CRC. Layer I is left out:
# its "\xff\xfe" is also UTF-16 text's byte order mark (a CSV export).
_MPEG_AUDIO_SYNC = frozenset(
    bytes([0xFF, (version << 3) | (layer << 1) | crc | 0xE0])
    for version in (0b00, 0b10, 0b11)
    for layer in (0b01, 0b10)
    for crc in (0, 1)
)


# C0 controls other than tab, line feed, form feed and carriage return, and DEL.
_CONTROL = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D} | {0x7F}


def _is_text(head: bytes) -> bool:
    """Text in UTF-8, UTF-16 with a byte order mark (Excel's "Unicode text"), or
    an 8-bit encoding (Windows-1252 / Latin-1 exports): no control characters."""
    if not head.strip():
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            # A character cut at the end of the head is still text.
            head[2 : len(head) - (len(head) % 2)].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be")
        except UnicodeDecodeError:
            return False
        return True
    return not any(b in _CONTROL for b in head)


def _sniff_zip(fh, start, size, bounds) -> Sniffed:
    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as archive:
            infos = archive.infolist()
            # Declared sizes bound what zipfile will ever expand (it stops at them),
            # so nothing is unpacked to decide.
            if is_zip_bomb(infos, size, bounds):
                return Sniffed(None, "bomb")
            names = set(archive.namelist())
            if "AndroidManifest.xml" in names and "resources.arsc" in names:
                # Only the shape: media/files.py's inspect_apk reads and verifies it.
                return Sniffed(APK)
            if "mimetype" in names:
                # Bounded read: the member may be crafted to expand far.
                with archive.open("mimetype") as member:
                    found = _ODF.get(member.read(200).strip())
                return Sniffed(found) if found else Sniffed(None, "unknown")
            if "[Content_Types].xml" in names:
                for prefix, content_type in _OOXML.items():
                    if any(n.startswith(prefix) for n in names):
                        return Sniffed(content_type)
    except Exception:
        # A damaged or crafted archive raises many kinds of errors (bad sizes,
        # unknown compression, encryption, corrupt data): none is a document.
        return Sniffed(None, "damaged")
    finally:
        fh.seek(start)
    return Sniffed(None, "unknown")


def is_zip_bomb(infos, size: int | None = None, bounds: ZipBounds = DOCUMENT_ZIPS) -> bool:
    """Whether a zip's members (``ZipFile.infolist()``) declare they expand past
    the bounds, for an archive of ``size`` bytes."""
    if bounds.max_members is not None and len(infos) > bounds.max_members:
        return True
    expanded = sum(info.file_size for info in infos)
    packed = size if size is not None else max(sum(info.compress_size for info in infos), 1)
    if bounds.max_unzipped is not None and expanded > bounds.max_unzipped:
        return True
    return expanded > bounds.ratio_floor and expanded > bounds.max_ratio * packed


def _head(fh, n=8) -> bytes:
    start = fh.tell()
    fh.seek(0)
    head = fh.read(n)
    fh.seek(start)
    return head


def extension(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/"))
    stem, dot, ext = base.rpartition(".")
    return f".{ext.lower()}" if dot and stem.strip(" .") else ""


def safe_filename(name: str, limit: int = 150) -> str:
    """A file name without directories, control or format characters:
    '../../etc/passwd' becomes 'passwd', 'C:\\x\\a.pdf' becomes 'a.pdf'."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    name = name.strip(" .")
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: limit - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:limit]
    return name or "fichier"


# --- Surfaces: one policy each --------------------------------------------------------------

OFFICE = {ODT, ODS, ODP, DOCX, XLSX, PPTX}
IMAGES = {PNG, JPEG, GIF, WEBP}


@dataclass(frozen=True)
class Surface:
    """One way files come in: what it accepts, how big, and where its rows are."""

    name: str
    model: str  # "app_label.Model"
    types: frozenset
    types_label: object  # what the refusal tells the person is accepted
    max_bytes_setting: str
    default_max_bytes: int
    key_field: str = "key"
    name_field: str = "filename"
    # "module.function(row, state)", run in the scan's transaction once the verdict is saved.
    after_scan: str = ""
    # "module.function(rows)": the app's page-cache bumper for rows whose verdict
    # changed what its pages show (run through pagecache.bump_after_commit).
    bump_pages: str = ""
    # Names this surface also accepts for its types (".xml" for a timetable
    # export, which is text by its bytes).
    also_named: frozenset = frozenset()
    # The row's attribute the owner's notice of an infected file is about
    # (media's: the resource, whose page the notice opens); empty: the row.
    notice_about: str = ""
    zip_bounds: ZipBounds = DOCUMENT_ZIPS

    @property
    def max_bytes(self) -> int:
        return getattr(settings, self.max_bytes_setting, self.default_max_bytes)

    def model_class(self):
        return apps.get_model(self.model)


HOMEWORK_TYPES = frozenset({PDF, TEXT, MP3, M4A, MP4} | IMAGES | OFFICE)
HOMEWORK_LABEL = _("PDF, image (PNG, JPEG, GIF, WebP), text, LibreOffice or Microsoft Office document, MP3 or MP4")

HOMEWORK_ATTACHMENT = Surface(
    "homework.attachment",
    "homework.Attachment",
    HOMEWORK_TYPES,
    HOMEWORK_LABEL,
    "HOMEWORK_MAX_ATTACHMENT_BYTES",
    10 * MiB,
    bump_pages="homework.pagescopes.attachments_scanned",
)
HOMEWORK_SUBMISSION = Surface(
    "homework.submission",
    "homework.Submission",
    HOMEWORK_TYPES,
    HOMEWORK_LABEL,
    "HOMEWORK_MAX_SUBMISSION_BYTES",
    20 * MiB,
)
ABSENCE_DOCUMENT = Surface(
    "absences.document",
    "absences.AbsenceNotice",
    frozenset({PDF, JPEG, PNG}),
    _("PDF, JPEG or PNG"),
    "ABSENCE_DOCUMENT_MAX_BYTES",
    5 * MiB,
    key_field="document_key",
    name_field="document_name",
)
MESSAGE_ATTACHMENT = Surface(
    "messaging.attachment",
    "messaging.Attachment",
    frozenset({PDF} | IMAGES | OFFICE),
    _("PDF, image or office document"),
    "MESSAGING_MAX_ATTACHMENT_BYTES",
    10 * MiB,
)
CSV_IMPORT = Surface(
    "directory.import",
    "directory.ImportJob",
    frozenset({TEXT}),
    _("a CSV text file"),
    "IMPORT_MAX_BYTES",
    20 * MiB,
    key_field="file_key",
    name_field="file_name",
    after_scan="ent.directory.imports.jobs.after_scan",
)
# The school office's photos of pupils (the trombinoscope, ent/directory/photos.py):
# one picture from a camera or a phone, or a zip of them (PUPIL_PHOTO_ZIP_MAX_BYTES,
# opened with open_zip below). What is stored is the thumbnail re-encoded from it.
PUPIL_PHOTO = Surface(
    "directory.pupil_photo",
    "directory.PupilPhoto",
    frozenset({JPEG, PNG}),
    _("a JPEG or PNG photo"),
    "PUPIL_PHOTO_MAX_BYTES",
    10 * MiB,
    bump_pages="ent.directory.pagescopes.bump_directory",
)
PUPIL_PHOTO_ZIP_MAX_BYTES = 200 * MiB
# The timetable file (STS-web XML or CSV): small, read at once for its
# preview, so it is scanned as it arrives, before anything parses it
# (ent/timetable/actions.py check_upload). No row keeps it: it is not in
# SURFACES, which the held-file sweep walks.
TIMETABLE_IMPORT = Surface(
    "timetable.import",
    "timetable.Slot",
    frozenset({TEXT}),
    _("a CSV or XML text file (timetable export)"),
    "TIMETABLE_IMPORT_MAX_BYTES",
    5 * MiB,
    also_named=frozenset({".xml"}),
)
# Media's resources (media/files.py): documents, pictures, sound, video and
# Android apps, up to MEDIA_MAX_UPLOAD_BYTES within the quotas (media's actions
# check both before a byte is stored). Their verdicts are recorded here
# (record_verdict, then the surface's after_scan); media's own tasks queue their
# scans and its beat sweep (media.tasks.rescan_pending) takes up the held ones,
# so they are not in SURFACES, which rescan_held walks.
MEDIA_FILE = Surface(
    "media.version",
    "media.Version",
    frozenset({PDF, WEBM, OGG, FLAC, WAV, MP3, M4A, MP4, APK} | IMAGES | OFFICE),
    _("document (PDF, LibreOffice, Microsoft Office), image, sound, video or Android app"),
    "MEDIA_MAX_UPLOAD_BYTES",
    2 * 1024 * MiB,
    # Apps and media-heavy documents are big and hold many members, and pictures
    # and video barely compress: only what would expand past 1 GiB at more than
    # 20 times its size (a device filled, or this server's memory when an APK's
    # manifest is parsed) is a bomb here.
    zip_bounds=ZipBounds(max_unzipped=None, ratio_floor=1024 * MiB, max_ratio=20, max_members=None),
    after_scan="media.actions.scans.after_version_scan",
    notice_about="item",
)
# A resource's icon and screenshots: images, checked as MEDIA_FILE's (kind "image").
MEDIA_IMAGE = Surface(
    "media.illustration",
    "media.Illustration",
    frozenset(IMAGES),
    _("image (PNG, JPEG, GIF, WebP)"),
    "MEDIA_MAX_UPLOAD_BYTES",
    2 * 1024 * MiB,
    after_scan="media.actions.scans.after_illustration_scan",
    notice_about="item",
)
SURFACES = {
    s.name: s
    for s in (HOMEWORK_ATTACHMENT, HOMEWORK_SUBMISSION, ABSENCE_DOCUMENT, MESSAGE_ATTACHMENT, CSV_IMPORT, PUPIL_PHOTO)
}


# --- The check ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    content_type: str
    filename: str  # safe to store and to show
    size: int

    @property
    def extension(self) -> str:
        return MAIN_EXTENSION.get(self.content_type, "")


TYPE_NAMES = {
    PDF: _("a PDF document"),
    PNG: _("a PNG image"),
    JPEG: _("a JPEG image"),
    GIF: _("a GIF image"),
    WEBP: _("a WebP image"),
    TEXT: _("a text file"),
    MP3: _("an MP3 sound"),
    M4A: _("an M4A sound"),
    MP4: _("an MP4 video"),
    WEBM: _("a WebM video"),
    OGG: _("an Ogg sound"),
    FLAC: _("a FLAC sound"),
    WAV: _("a WAV sound"),
    APK: _("an Android app"),
    ODT: _("a LibreOffice text"),
    ODS: _("a LibreOffice spreadsheet"),
    ODP: _("a LibreOffice presentation"),
    DOCX: _("a Word document"),
    XLSX: _("an Excel spreadsheet"),
    PPTX: _("a PowerPoint presentation"),
    OLE: _("an old Microsoft Office file"),
}


def check(upload, surface: Surface, *, name_limit: int = 150) -> Checked:
    """Validate one uploaded file for a surface; raise FileRefused saying why."""
    filename = safe_filename(getattr(upload, "name", "") or "", name_limit)
    params = {"name": filename}
    size = upload.size
    if not size:
        raise FileRefused(_("The file “%(name)s” is empty.") % params)
    if size > surface.max_bytes:
        raise FileRefused(
            _("The file “%(name)s” is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {**params, "size": round(size / MiB, 1), "limit": round(surface.max_bytes / MiB, 1)}
        )
    sniffed = sniff(upload, size, surface.zip_bounds)
    content_type = sniffed.content_type
    if surface is CSV_IMPORT and content_type not in surface.types and sniffed.problem != "executable":
        # Spreadsheets are the usual mistake here: say how to make the CSV.
        if content_type in (XLSX, ODS, OLE) or _head(upload).startswith((b"PK\x03\x04", _OLE_MAGIC)):
            raise FileRefused(
                _("This is a spreadsheet file, not CSV. Open it and save it as “CSV (separator: semicolon)”.")
            )
        raise FileRefused(
            _("This is not a CSV text file. Export the list as CSV (semicolon or comma separated) and try again.")
        )
    if sniffed.problem == "bomb":
        raise FileRefused(
            _(
                "The file “%(name)s” would expand to far more than its size when opened (a “zip bomb”): "
                "it is refused. Save the document again from its application and send that copy."
            )
            % params
        )
    if sniffed.problem == "executable":
        raise FileRefused(_("The file “%(name)s” is a program: programs are never accepted here.") % params)
    if sniffed.problem == "damaged":
        raise FileRefused(_("The file “%(name)s” is damaged (it cannot be opened as a document).") % params)
    if content_type not in surface.types:
        raise FileRefused(
            _("The file “%(name)s” is not of an accepted type (%(allowed)s).")
            % {**params, "allowed": surface.types_label}
        )
    ext = extension(filename)
    if ext and ext not in EXTENSIONS[content_type] and ext not in surface.also_named:
        raise FileRefused(
            _(
                "The file “%(name)s” is %(kind)s, but its name ends in “%(ext)s”: its content does not match "
                "its name. Rename it or send the right file."
            )
            % {**params, "kind": TYPE_NAMES[content_type], "ext": ext}
        )
    return Checked(content_type, filename, size)


# --- Zips of files for a surface (the office's photos) -------------------------------------


def _too_large(name, size, limit):
    return FileRefused(
        _("The file “%(name)s” is too large (%(size)s MB); the limit is %(limit)s MB.")
        % {"name": name, "size": round(size / MiB, 1), "limit": round(limit / MiB, 1)}
    )


def _bomb(name):
    return FileRefused(
        _(
            "The file “%(name)s” would expand to far more than its size when opened (a “zip bomb”): "
            "it is refused. Save the document again from its application and send that copy."
        )
        % {"name": name}
    )


def _damaged(name):
    return FileRefused(_("The file “%(name)s” is damaged (it cannot be opened as a document).") % {"name": name})


def open_zip(upload, *, max_bytes: int) -> zipfile.ZipFile:
    """An uploaded zip holding many files for one surface, opened after the
    gate's checks on the archive: its size, the bounds on what its members
    declare they expand to (zip bombs, checked before anything is unpacked), and
    that it opens at all. Raises FileRefused saying why; the caller closes it
    and passes each member through zip_member() then check()."""
    filename = safe_filename(getattr(upload, "name", "") or "")
    size = upload.size
    if not size:
        raise FileRefused(_("The file “%(name)s” is empty.") % {"name": filename})
    if size > max_bytes:
        raise _too_large(filename, size, max_bytes)
    if not _head(upload, 4).startswith(b"PK\x03\x04"):
        raise FileRefused(_("The file “%(name)s” is not a zip archive (.zip).") % {"name": filename})
    upload.seek(0)
    try:
        archive = zipfile.ZipFile(upload)
        infos = archive.infolist()
    except Exception:
        # Damaged or crafted central directories raise many kinds of errors.
        raise _damaged(filename) from None
    if is_zip_bomb(infos, size):
        archive.close()
        raise _bomb(filename)
    return archive


def zip_files(archive: zipfile.ZipFile):
    """The archive's files (not its folders, nor the "__MACOSX/" and "._x"
    companions a Mac adds), as (safe file name, ZipInfo)."""
    for info in archive.infolist():
        if info.is_dir():
            continue
        path = info.filename.replace("\\", "/")
        name = safe_filename(path)
        if path.startswith("__MACOSX/") or name.startswith("._"):
            continue
        yield name, info


def zip_member(archive: zipfile.ZipFile, info, name: str, surface: Surface) -> ContentFile:
    """One member read into memory (bounded by the surface's size, which zipfile
    also enforces against the member's declared size), ready for check()."""
    limit = surface.max_bytes
    if info.file_size > limit:
        raise _too_large(name, info.file_size, limit)
    try:
        with archive.open(info) as member:
            data = member.read(limit + 1)
    except Exception:
        # A bad CRC, an encrypted member, an unknown compression.
        raise _damaged(name) from None
    if len(data) > limit:
        raise _too_large(name, len(data), limit)
    return ContentFile(data, name=name)


def put(key: str, upload, checked: Checked) -> None:
    """Stream a checked upload to the store (in parts, never whole in memory)."""
    upload.seek(0)
    storage.put_stream(key, upload, checked.size, content_type=checked.content_type)


# --- clamd (INSTREAM) -----------------------------------------------------------------------

SCAN_CHUNK = 256 * 1024


class ScannerUnavailable(Exception):
    """No verdict: clamd unreachable, an error reply, a stream over its limit."""


def scanner_configured() -> bool:
    return bool(settings.CLAMD_SOCKET or settings.CLAMD_HOST)


def _connect(timeout):
    if settings.CLAMD_SOCKET:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        address = settings.CLAMD_SOCKET
    elif settings.CLAMD_HOST:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        address = (settings.CLAMD_HOST, settings.CLAMD_PORT)
    else:
        raise ScannerUnavailable("no clamd configured (CLAMD_SOCKET or CLAMD_HOST)")
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except OSError as exc:
        sock.close()
        raise ScannerUnavailable(f"clamd unreachable: {exc}") from exc
    return sock


def _read_reply(sock) -> str:
    data = b""
    while not data.endswith(b"\0"):
        part = sock.recv(4096)
        if not part:
            break
        data += part
    return data.rstrip(b"\0").decode("utf-8", "replace")


def scanner_ping(timeout=2) -> bool:
    """clamd answers (the demo's seeding asks before scanning its files)."""
    try:
        sock = _connect(timeout)
    except ScannerUnavailable:
        return False
    try:
        sock.sendall(b"zPING\0")
        return _read_reply(sock) == "PONG"
    except OSError:
        return False
    finally:
        sock.close()


def scan_stream(stream, timeout=300) -> tuple[bool, str]:
    """(clean, signature) for a file-like object, streamed to clamd in 256 KB
    chunks (the `clamd` package sends 1 KB ones with socket.send, which may send
    less than asked). Raises ScannerUnavailable when no verdict was reached."""
    sock = _connect(timeout)
    try:
        sock.sendall(b"zINSTREAM\0")
        while chunk := stream.read(SCAN_CHUNK):
            sock.sendall(struct.pack("!L", len(chunk)) + chunk)
        sock.sendall(struct.pack("!L", 0))
        reply = _read_reply(sock)
    except OSError as exc:
        raise ScannerUnavailable(f"clamd stream failed: {exc}") from exc
    finally:
        sock.close()
    # "stream: OK", "stream: Eicar-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
    if reply.endswith(" FOUND"):
        return False, reply.split(": ", 1)[-1][: -len(" FOUND")].strip()
    if reply.endswith(": OK"):
        return True, ""
    raise ScannerUnavailable(f"clamd answered {reply!r}")


# --- Scanning a stored file -----------------------------------------------------------------


def scan_after_commit(surface: Surface, row) -> None:
    """Queue the scan of a just-written row once its transaction commits."""
    transaction.on_commit(lambda: queue_scan(surface, row.pk))


def queue_scan(surface: Surface, pk) -> None:
    # The upload was recorded: a broker that cannot take the task must not turn
    # it into an error. The file stays held and rescan_held queues it again.
    queue(scan_stored_file, surface.name, pk, catch_up="ent.files.rescan_held")


def do_scan_file(surface: Surface, pk) -> str | None:
    """Scan one held row's object; returns the new state (None: nothing to do).
    Raises ScannerUnavailable / StorageUnavailable when no verdict was reached:
    the row stays held. Idempotent."""
    model = surface.model_class()
    row = model.objects.filter(pk=pk).first()
    key = getattr(row, surface.key_field, "") if row is not None else ""
    if row is None or row.scan != ScanState.HELD or not key:
        return None
    verdict = scan_stored(key)
    if verdict is None:
        # The row says held and the store has nothing: it stays held (never
        # offered) and is logged; the app's orphan sweep deals with such rows.
        log.error("held file %s %s has no object %s", surface.name, pk, key)
        return None
    clean, signature = verdict
    return record_verdict(surface, pk, clean=clean, signature=signature)


def scan_stored(key: str) -> tuple[bool, str] | None:
    """clamd's verdict on a stored object, streamed from the store: (clean,
    signature), or None when the store has no such object. Raises
    ScannerUnavailable / StorageUnavailable when no verdict was reached. Every
    surface's scan reads its file through here (media's too)."""
    response = storage.get_stream(key)
    if response is None:
        return None
    try:
        return scan_stream(response)
    finally:
        response.close()
        response.release_conn()


def record_verdict(surface: Surface, pk, *, clean: bool, signature: str = "") -> str | None:
    """Save a scan's verdict on the row and on every row sharing its object
    (homework copies share one), tell the owner of an infected file, delete it."""
    # Imported here: the models modules import this one (Scanned, scan_field),
    # and ent.notify's own models import the directory's.
    from ent.notify.api import notify

    model = surface.model_class()
    state = ScanState.OFFERED if clean else ScanState.INFECTED
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=pk).first()
        if row is None or row.scan != ScanState.HELD:
            return None
        key = getattr(row, surface.key_field)
        changed = []
        for shared in model.objects.select_for_update().filter(**{surface.key_field: key}, scan=ScanState.HELD):
            shared.scan = state
            shared.scan_signature = signature[:200]
            shared.scanned_at = timezone.now()
            shared.save(update_fields=["scan", "scan_signature", "scanned_at"])
            changed.append(shared)
            if shared.pk == row.pk:
                row = shared
        if surface.bump_pages:
            # The cached pages that list these files show their state: the
            # surface says which (the apps' actions do the same for their writes).
            bump_after_commit(import_string(surface.bump_pages), changed)
        if not clean:
            owner = row.file_owner_id()
            if owner:
                notify(
                    [owner],
                    "resource.infected",
                    obj=getattr(row, surface.notice_about) if surface.notice_about else row,
                    context={
                        "title": str(row.file_title()),
                        "filename": getattr(row, surface.name_field),
                        "signature": signature,
                        "url": row.file_page_url(),
                    },
                )
            # Deleted once the rows say "infected": never a moment when a row
            # says held and the object is gone, nor one when it is offered.
            transaction.on_commit(lambda: _delete_quietly(key))
        if surface.after_scan:
            import_string(surface.after_scan)(row, state)
    log.info("scan of %s %s: %s %s", surface.name, pk, state, signature)
    return state


def _delete_quietly(key):
    try:
        storage.delete(key)
    except StorageUnavailable:
        log.warning("could not delete the infected object %s; the orphan sweep will", key)


RETRY_SECONDS = (30, 60, 120, 300, 600, 900, 1800)


@shared_task(bind=True, ignore_result=True, max_retries=len(RETRY_SECONDS))
def scan_stored_file(self, surface_name, pk):
    surface = SURFACES.get(surface_name)
    if surface is None:
        log.error("unknown file surface %r", surface_name)
        return
    try:
        do_scan_file(surface, pk)
    except (ScannerUnavailable, StorageUnavailable) as exc:
        log.warning("scan of %s %s postponed: %s", surface_name, pk, exc)
        if self.request.is_eager:
            # Eager (tests, `make run` without a broker) retries at once, in the
            # request: no back-off there, rescan_held takes it up instead.
            return
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=RETRY_SECONDS[self.request.retries]) from exc


HELD_RESCAN_AFTER = timedelta(minutes=2)


@shared_task(ignore_result=True)
def rescan_held():
    """Beat: queue again every file still held (clamd or the broker was down)."""
    for surface in SURFACES.values():
        model = surface.model_class()
        held = model.objects.filter(scan=ScanState.HELD).exclude(**{surface.key_field: ""})
        stamp = model.file_stamp_field
        held = held.filter(**{f"{stamp}__lt": timezone.now() - HELD_RESCAN_AFTER})
        for pk in held.order_by("pk").values_list("pk", flat=True)[:1000]:
            queue_scan(surface, pk)


# --- Downloads ------------------------------------------------------------------------------


def check_offered(row) -> None:
    """Raise FileHeld / FileInfected unless the row's file may be handed out."""
    if row.scan == ScanState.OFFERED:
        return
    if row.scan == ScanState.INFECTED:
        raise FileInfected()
    raise FileHeld()


def download(request, row, surface: Surface, *, seconds: int | None = None):
    """The response for a download, after the caller's access check: a
    short-lived presigned link for an offered file, else a page saying why
    (403 for everyone, the owner included: held files are in quarantine)."""
    if not row.is_offered:
        return unavailable(request, row, getattr(row, surface.name_field))
    kwargs = {"seconds": seconds} if seconds else {}
    url = storage.presigned_get(
        getattr(row, surface.key_field),
        filename=getattr(row, surface.name_field),
        content_type=row_content_type(row) or "application/octet-stream",
        **kwargs,
    )
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "no-store"
    return response


def unavailable(request, row, filename: str):
    """The page for a file that is not offered (held or infected), the same on
    every surface (media's versions too): 403, saying why, no link."""
    try:
        check_offered(row)
    except FileNotOffered as exc:
        message = exc.message
    else:  # pragma: no cover - callers ask only for rows that are not offered
        raise ValueError("this file is offered")
    response = render(
        request,
        "ent/file_unavailable.html",
        {"message": message, "filename": filename, "infected": row.is_infected},
        status=403,
    )
    response["Cache-Control"] = "no-store"
    return response


def row_content_type(row) -> str:
    return getattr(row, "content_type", "") or getattr(row, "document_type", "")
