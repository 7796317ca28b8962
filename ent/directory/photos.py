"""Pupil photos (the trombinoscope, issue 21): every change of state.

The school office (direction, vie scolaire) uploads a photo per pupil, or a zip
of ``<INE or login>.jpg`` files. Each file goes through the one file gate
(ent/files.py, surface PUPIL_PHOTO: JPEG or PNG by content, a size limit; the zip
with the gate's bounds on what it expands to). What is stored is not the file:
it is a 160 px thumbnail decoded and re-encoded here with Pillow, which drops
the EXIF (a phone writes where the photo was taken) and anything hidden after
the picture. That thumbnail is held until the antivirus has seen it, like every
upload, and only then shown (access.photo_pupil_ids, views_photos).

A family's refusal (PhotoRefusal) wins over everything: an upload for that
pupil is refused with the reason, the zip's file is skipped, and recording it
deletes the photo already there. The pupil's row is locked by both writes, so
an upload racing a refusal cannot slip in after it.
"""

import io
import logging
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from ent import files, storage
from ent.directory.access import school_pupils_by_name
from ent.directory.models import AuditEntry, Enrollment, PhotoRefusal, PupilPhoto, User
from ent.directory.pagescopes import bump_directory
from ent.errors import FileRefused, StorageUnavailable
from ent.pagecache import bump_after_commit

log = logging.getLogger(__name__)

# The register shows 40 px circles (80 px on a sharp phone screen); 160 px keeps
# the office's page sharp too, at ~5-8 KB a photo.
THUMBNAIL_PX = 160
# A 50-megapixel phone photo is the biggest a school will send; more is a
# "decompression bomb" (a small file that decodes to gigabytes).
MAX_PIXELS = 60_000_000
KEY_PREFIX = "directory/photos/"

AUDIT_REFUSAL = "photo_refusal"
AUDIT_REFUSAL_WITHDRAWN = "photo_refusal_withdrawn"

# The zip report's outcomes.
MATCHED = "matched"
UNKNOWN = "unknown"
REFUSED = "refused"
SKIPPED = "skipped"


def thumbnail(upload) -> bytes:
    """The upload decoded, turned upright (the EXIF orientation of phones),
    cropped square around where a face is and re-encoded as a small JPEG
    carrying no metadata. Raises FileRefused for what does not decode."""
    name = files.safe_filename(getattr(upload, "name", "") or "")
    damaged = FileRefused(_("The file “%(name)s” is damaged (it cannot be opened as a document).") % {"name": name})
    upload.seek(0)
    try:
        with Image.open(upload, formats=["JPEG", "PNG"]) as image:
            if image.width * image.height > MAX_PIXELS:
                raise FileRefused(
                    _("The photo “%(name)s” is too large in pixels (%(width)s × %(height)s).")
                    % {"name": name, "width": image.width, "height": image.height}
                )
            # JPEG decodes straight at a fraction of its size: a 12 MP photo
            # costs a few ms instead of ~100.
            image.draft("RGB", (THUMBNAIL_PX * 2, THUMBNAIL_PX * 2))
            upright = ImageOps.exif_transpose(image).convert("RGB")
            small = ImageOps.fit(upright, (THUMBNAIL_PX, THUMBNAIL_PX), Image.Resampling.LANCZOS, centering=(0.5, 0.4))
    except FileRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        # Truncated, crafted or unreadable pictures raise any of these.
        raise damaged from None
    out = io.BytesIO()
    # No exif= / icc_profile= given: the new file carries none of the old one's.
    small.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def _new_key(school_id) -> str:
    return f"{KEY_PREFIX}{school_id}/{uuid.uuid4().hex}.jpg"


def _delete_quietly(key):
    try:
        storage.delete(key)
    except StorageUnavailable:
        log.warning("could not delete the pupil photo object %s", key)


def _refused_message(pupil):
    return _("The family of %(name)s refused photos: no photo is kept for this pupil.") % {"name": pupil}


def do_upload_photo(user, school, pupil, upload) -> PupilPhoto:
    """Check, shrink and store one photo of a pupil of `school` (checked by
    access.access_photo_pupil), replacing the one there. Held until clean."""
    checked = files.check(upload, files.PUPIL_PHOTO)
    if PhotoRefusal.objects.filter(pupil=pupil, school=school).exists():
        raise FileRefused(_refused_message(pupil))
    data = thumbnail(upload)
    key = _new_key(school.id)
    storage.put_stream(key, io.BytesIO(data), len(data), content_type=files.JPEG)
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(id=pupil.id).first()
            if PhotoRefusal.objects.filter(pupil=pupil, school=school).exists():
                raise FileRefused(_refused_message(pupil))
            old = PupilPhoto.objects.select_for_update().filter(pupil=pupil).first()
            old_key = old.key if old is not None else ""
            now = timezone.now()
            fields = {
                "school": school,
                "key": key,
                "size": len(data),
                "content_type": files.JPEG,
                "filename": checked.filename,
                "uploaded_by": user,
                "updated_at": now,
                "scan": files.ScanState.HELD,
                "scan_signature": "",
                "scanned_at": None,
            }
            photo, _created = PupilPhoto.objects.update_or_create(
                pupil=pupil, defaults=fields, create_defaults=fields | {"uploaded_at": now}
            )
            if old_key and old_key != key:
                transaction.on_commit(lambda: _delete_quietly(old_key))
            files.scan_after_commit(files.PUPIL_PHOTO, photo)
            bump_after_commit(bump_directory)
    except BaseException:
        # Nothing recorded: the object just stored is nobody's.
        _delete_quietly(key)
        raise
    return photo


def do_import_photos(user, school, upload) -> list[dict]:
    """A zip of ``<INE or login>.jpg`` files for the school's current pupils:
    each file is stored as do_upload_photo does, in its own transaction, and
    the report says, file by file, what happened (matched, unknown, refused and
    why, skipped for a family's refusal). The zip itself refused: FileRefused."""
    archive = files.open_zip(upload, max_bytes=files.PUPIL_PHOTO_ZIP_MAX_BYTES)
    report = []
    with archive:
        by_name = school_pupils_by_name(school)
        refused = set(PhotoRefusal.objects.filter(school=school).values_list("pupil_id", flat=True))
        done = set()
        for name, info in files.zip_files(archive):
            stem = name.rpartition(".")[0] if "." in name else name
            pupil = by_name.get(stem.strip().lower())
            line = {"file": name, "pupil": str(pupil) if pupil else ""}
            if pupil is None:
                report.append(
                    line | {"outcome": UNKNOWN, "message": _("No pupil of the school has this INE or login.")}
                )
                continue
            if pupil.id in refused:
                report.append(line | {"outcome": SKIPPED, "message": _("The family refused photos: file skipped.")})
                continue
            if pupil.id in done:
                report.append(
                    line | {"outcome": REFUSED, "message": _("Another file of this zip is already this pupil's.")}
                )
                continue
            try:
                member = files.zip_member(archive, info, name, files.PUPIL_PHOTO)
                do_upload_photo(user, school, pupil, member)
            except FileRefused as exc:
                report.append(line | {"outcome": REFUSED, "message": exc.message})
                continue
            done.add(pupil.id)
            report.append(line | {"outcome": MATCHED, "message": _("Photo saved; the antivirus is checking it.")})
    return report


# A thumbnail is a few KB; anything bigger under its key is not ours to send.
MAX_THUMBNAIL_BYTES = 256 * 1024


def read_thumbnail(photo: PupilPhoto) -> bytes | None:
    """The stored thumbnail's bytes (None: the object is missing). The store
    failing mid-read is StorageUnavailable, like every other store call."""
    response = storage.get_stream(photo.key)
    if response is None:
        return None
    try:
        return response.read(MAX_THUMBNAIL_BYTES)
    except Exception as exc:
        raise StorageUnavailable() from exc
    finally:
        response.close()
        response.release_conn()


def do_delete_photo(photo: PupilPhoto) -> None:
    with transaction.atomic():
        key = photo.key
        PupilPhoto.objects.filter(id=photo.id).delete()
        transaction.on_commit(lambda: _delete_quietly(key))
        bump_after_commit(bump_directory)


def do_record_refusal(user, pupil, school) -> PhotoRefusal:
    """The family refuses photos at this school: recorded once (again is
    harmless), and the photo there is deleted, from the store too."""
    with transaction.atomic():
        User.objects.select_for_update().filter(id=pupil.id).first()
        refusal, created = PhotoRefusal.objects.get_or_create(
            pupil=pupil, school=school, defaults={"recorded_by": user}
        )
        photo = PupilPhoto.objects.select_for_update().filter(pupil=pupil, school=school).first()
        if photo is not None:
            key = photo.key
            photo.delete()
            transaction.on_commit(lambda: _delete_quietly(key))
        if created:
            AuditEntry.objects.create(
                actor=user, school=school, action=AUDIT_REFUSAL, target=pupil, details={"photo_deleted": bool(photo)}
            )
        bump_after_commit(bump_directory)
    return refusal


def do_withdraw_refusal(user, pupil, school) -> None:
    """The family agrees again (the office records it, on a signed paper)."""
    with transaction.atomic():
        deleted, _rows = PhotoRefusal.objects.filter(pupil=pupil, school=school).delete()
        if deleted:
            AuditEntry.objects.create(actor=user, school=school, action=AUDIT_REFUSAL_WITHDRAWN, target=pupil)


def export(user, children) -> dict:
    """Privacy hook (ent.directory.privacy.EXPORT_HOOKS): for the person (a
    pupil) and each of their children, whether a school keeps a photo (which
    school, since when, who added it is the school's) and the family's refusals.
    The picture itself is not put in the export: it is the school's 160 px
    copy, shown to the family on request at the office (see the report of
    issue 21)."""
    pupils = [user, *children]
    photos = PupilPhoto.objects.filter(pupil__in=pupils).select_related("school", "pupil")
    refusals = PhotoRefusal.objects.filter(pupil__in=pupils).select_related("school", "pupil")
    return {
        "photos": [
            {
                "pupil": str(p.pupil),
                "school": p.school.name,
                "at": p.uploaded_at.isoformat(),
                "state": p.get_scan_display(),
            }
            for p in photos
        ],
        "refusals": [
            {"pupil": str(r.pupil), "school": r.school.name, "at": r.recorded_at.isoformat()} for r in refusals
        ],
    }


def purge(cutoff=None, dry_run=False) -> int:
    """Retention hook (ent.directory.privacy.RETENTION_HOOKS, nightly): the
    photos and refusals of pupils no longer enrolled this year in their
    school, i.e. who left it. Deleting the account deletes both as well (a
    CASCADE key); this removes the stored thumbnails with them."""
    from django.db.models import Exists, OuterRef

    here = Exists(
        Enrollment.objects.current().filter(
            pupil_id=OuterRef("pupil_id"), school_class__school_id=OuterRef("school_id")
        )
    )
    photos = PupilPhoto.objects.exclude(here)
    refusals = PhotoRefusal.objects.exclude(here)
    count = photos.count() + refusals.count()
    if dry_run or not count:
        return count
    with transaction.atomic():
        keys = list(photos.values_list("key", flat=True))
        photos.delete()
        refusals.delete()
        transaction.on_commit(lambda: [_delete_quietly(k) for k in keys])
        bump_after_commit(bump_directory)
    return count
