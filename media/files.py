"""File handling for resources: type by content (through the file gate,
ent/files.py), safe names, hashing while streaming, APK review data (manifest,
signature), presigned links. Nothing here holds a whole file in
memory: files are read in chunks from disk or from the object store."""

import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from ent import files as gate
from ent import storage
from ent.errors import FileRefused

log = logging.getLogger(__name__)
# FileRefused is ent.errors' one domain error for a refused file; media's callers
# and tests also import it from here.

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Sniffed:
    kind: str  # Item.Kind value
    content_type: str


# The item kind of each type the media surface accepts (ent.files.MEDIA_FILE).
KINDS = {
    gate.PDF: "document",
    **dict.fromkeys(gate.OFFICE, "document"),
    **dict.fromkeys(gate.IMAGES, "image"),
    **dict.fromkeys((gate.MP3, gate.M4A, gate.OGG, gate.FLAC, gate.WAV), "audio"),
    **dict.fromkeys((gate.MP4, gate.WEBM), "video"),
    gate.APK: "apk",
}


def sniff(path) -> Sniffed | None:
    """The kind of a file, from its bytes, by the file gate's checker held to the
    media surface's zip bounds. None when it is not a kind we accept (programs,
    zip bombs, damaged or unknown files included)."""
    with open(path, "rb") as fh:
        found = gate.sniff(fh, os.path.getsize(path), gate.MEDIA_FILE.zip_bounds)
    if found.content_type not in gate.MEDIA_FILE.types:
        return None
    return Sniffed(KINDS[found.content_type], found.content_type)


_UNSAFE = re.compile(r"[^\w.\- ()]+")


def safe_filename(name: str) -> str:
    """A file name without directories, control characters or leading dots:
    '../../etc/passwd' becomes 'passwd', 'C:\\x\\a.pdf' becomes 'a.pdf'."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 150 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:150]
    return name or "fichier"


class HashingReader:
    """Wraps a file: every read updates the SHA-256 and the byte count, so a
    stream is hashed while it is uploaded, never read twice."""

    def __init__(self, fh):
        self.fh = fh
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, n=-1):
        data = self.fh.read(n)
        self.sha256.update(data)
        self.size += len(data)
        return data


def download_to(key: str, dest) -> tuple[str, int]:
    """Stream an object to an open binary file; returns (sha256, size)."""
    response = storage.get_stream(key)
    if response is None:
        raise FileRefused(_("The file did not reach the store."))
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in response.stream(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            dest.write(chunk)
    except Exception as exc:
        storage.fail("get", exc)
    finally:
        response.close()
        response.release_conn()
    dest.flush()
    return digest.hexdigest(), size


@dataclass
class ApkInfo:
    package: str
    version_name: str
    version_code: int | None
    min_sdk: int | None
    target_sdk: int | None
    # What the tablet grants (media.permissions.granted_permissions), sorted names.
    permissions: list = field(default_factory=list)
    cert_sha256: str = ""
    # [{"name", "source", "max_sdk"}] for the review page: how each permission came.
    permission_details: list = field(default_factory=list)
    label: str = ""
    fdroid_readable: bool = True


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_CERT_LINE = re.compile(r"^Signer #1 certificate SHA-256 digest: ([0-9a-f]{64})$", re.M)


def _quiet_androguard():
    """androguard logs every parsed chunk through loguru at DEBUG: silence it."""
    import logging

    logging.getLogger("androguard").setLevel(logging.WARNING)
    try:
        from loguru import logger

        logger.disable("androguard")
    except ImportError:  # pragma: no cover - androguard depends on loguru
        pass


def _resolved(apk, value) -> str:
    """A manifest value that is a resource reference ("@7F050007") resolved
    through the APK's resources, as Android shows it (default configuration first)."""
    value = str(value or "")
    if not value.startswith("@"):
        return value
    try:
        res_id = int(value[1:], 16)
        configs = apk.get_android_resources().get_resolved_res_configs(res_id)
    except Exception:
        # A crafted resource table: show nothing rather than a raw id.
        return ""
    for _config, resolved in configs:
        if resolved:
            return str(resolved)
    return ""


def _manifest_permissions(apk, tag):
    out = []
    for element in apk.find_tags(tag):
        name = apk.get_value_from_tag(element, "name")
        max_sdk = _int_or_none(apk.get_value_from_tag(element, "maxSdkVersion"))
        out.append((str(name or ""), max_sdk))
    return out


def inspect_apk(path) -> ApkInfo:
    """Review data of an APK, read with androguard (the parser fdroidserver uses).
    The signature is verified with apksigner, since androguard only reads the
    certificate without checking it."""
    _quiet_androguard()
    from androguard.core.apk import APK

    from media.permissions import granted_permissions

    try:
        apk = APK(str(path))
        valid = apk.is_valid_APK() and bool(apk.get_package())
    except Exception:
        valid = False
    if not valid:
        raise FileRefused(_("This file is not a valid Android app (APK)."))
    apksigner = shutil.which("apksigner")
    if not apksigner:
        raise FileRefused(_("Android apps cannot be checked on this server (apksigner is missing)."))
    try:
        done = subprocess.run(
            [apksigner, "verify", "--print-certs", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise FileRefused(_("The app's signature could not be checked in time.")) from None
    match = _CERT_LINE.search(done.stdout)
    if done.returncode != 0 or not match:
        raise FileRefused(_("This Android app is not signed, or its signature does not verify."))
    # Android's defaults when <uses-sdk> says nothing: minSdk 1, targetSdk = minSdk.
    min_sdk = _int_or_none(_resolved(apk, apk.get_min_sdk_version())) or 1
    target_sdk = _int_or_none(_resolved(apk, apk.get_target_sdk_version())) or min_sdk
    granted = granted_permissions(
        _manifest_permissions(apk, "uses-permission"),
        _manifest_permissions(apk, "uses-permission-sdk-23"),
        min_sdk,
        target_sdk,
    )
    try:
        label = str(apk.get_app_name() or "")
    except Exception:
        label = ""
    cert_sha256 = match.group(1)
    return ApkInfo(
        package=apk.get_package(),
        version_name=_resolved(apk, apk.get_androidversion_name())[:100],
        version_code=_int_or_none(apk.get_androidversion_code()),
        min_sdk=min_sdk,
        target_sdk=target_sdk,
        permissions=[g.name for g in granted],
        cert_sha256=cert_sha256,
        permission_details=[{"name": g.name, "source": g.source, "max_sdk": g.max_sdk} for g in granted],
        label=label[:200],
        fdroid_readable=fdroid_signer(path) == cert_sha256,
    )


def fdroid_signer(path) -> str | None:
    """The signer fdroidserver reads (what `fdroid update` will index), or None
    when it cannot verify the signature."""
    import logging

    from fdroidserver import common

    previous = logging.getLogger().level
    logging.getLogger().setLevel(logging.CRITICAL)  # fdroidserver logs through the root logger
    try:
        return common.apk_signer_fingerprint(str(path))
    except Exception:
        return None
    finally:
        logging.getLogger().setLevel(previous)


def local_copy(uploaded):
    """A path on disk for an uploaded file: Django's temporary file when it
    spooled one, else a temporary copy of the small in-memory upload."""
    if hasattr(uploaded, "temporary_file_path"):
        return uploaded.temporary_file_path(), None
    tmp = tempfile.NamedTemporaryFile(prefix="ent-media-", delete=True)  # noqa: SIM115 - closed by the caller
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        tmp.write(chunk)
    tmp.flush()
    return tmp.name, tmp


def presigned_open(key: str, filename: str, content_type: str, *, inline: bool) -> str:
    """A short-lived GET link. Inline for what the browser shows itself (video,
    audio, images, PDF), attachment otherwise."""
    return storage.presigned_get(key, filename=filename, content_type=content_type, inline=inline)
