"""Files in the diary: type by content (magic bytes, never the name or the
browser's claim), size limits, and object keys."""

import os
import uuid
import zipfile

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ent.errors import EntError

MAX_ATTACHMENT_BYTES = getattr(settings, "HOMEWORK_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)
MAX_SUBMISSION_BYTES = getattr(settings, "HOMEWORK_MAX_SUBMISSION_BYTES", 20 * 1024 * 1024)
MAX_ATTACHMENTS = 5
# What an office document may expand to (a long real one is a few tens of MB).
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
KEY_PREFIX = "homework/"

# Office documents are zip files: the member names tell them apart.
_ODF = {
    b"application/vnd.oasis.opendocument.text": "application/vnd.oasis.opendocument.text",
    b"application/vnd.oasis.opendocument.spreadsheet": "application/vnd.oasis.opendocument.spreadsheet",
    b"application/vnd.oasis.opendocument.presentation": "application/vnd.oasis.opendocument.presentation",
}
_OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

ALLOWED_LABEL = _("PDF, image (PNG, JPEG, GIF, WebP), text, LibreOffice or Microsoft Office document, MP3 or MP4")


class FileRejected(EntError):
    default_message = _("This file cannot be accepted.")


def sniff(upload) -> str | None:
    """The content type read from the file's first bytes, or None if it is not
    one of the accepted kinds. The file position is restored."""
    start = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(start)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head[4:8] == b"ftyp":
        return "audio/mp4" if head[8:11] == b"M4A" else "video/mp4"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(upload, start)
    if head and b"\x00" not in head and _is_utf8_text(head):
        return "text/plain"
    return None


_CONTROL = set(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D} | {0x7F}


def _is_utf8_text(head: bytes) -> bool:
    # Control characters mean a binary file, whatever the rest decodes to.
    if any(b in _CONTROL for b in head):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the 4096-byte boundary is still text.
        return exc.start >= len(head) - 3
    return True


def _sniff_zip(upload, start):
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            # A zip bomb (a few MB claiming GBs) is no document: refuse it before
            # reading anything, and read the one member we need with a bound.
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                return None
            names = archive.namelist()
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    return _ODF.get(member.read(200).strip())
            if "[Content_Types].xml" in names:
                for prefix, content_type in _OOXML.items():
                    if any(n.startswith(prefix) for n in names):
                        return content_type
    except Exception:
        # A damaged or crafted archive raises many kinds of errors (bad sizes,
        # unknown compression, encryption, corrupt data): none is a document.
        return None
    finally:
        upload.seek(start)
    return None


def check_upload(upload, *, max_bytes) -> str:
    """Validate one uploaded file; return its content type or raise FileRejected."""
    name = os.path.basename(upload.name or "")
    if upload.size == 0:
        raise FileRejected(_("The file “%(name)s” is empty.") % {"name": name})
    if upload.size > max_bytes:
        raise FileRejected(
            _("The file “%(name)s” is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"name": name, "size": round(upload.size / 1048576, 1), "limit": max_bytes // 1048576}
        )
    content_type = sniff(upload)
    if content_type is None:
        raise FileRejected(
            _("The file “%(name)s” is not of an accepted type (%(allowed)s).")
            % {"name": name, "allowed": ALLOWED_LABEL}
        )
    return content_type


def new_key(kind: str) -> str:
    return f"{KEY_PREFIX}{kind}/{uuid.uuid4().hex}"


def clean_filename(name: str) -> str:
    base = os.path.basename(name or "").strip().replace("\x00", "")
    return base[:200] or "fichier"
