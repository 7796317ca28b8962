"""The antivirus scan of versions and images: one flow with every upload
surface's (ent.files.do_scan_file: read from the store, clamd's verdict,
held → offered or infected, the uploader told of a threat and the object
deleted). What a verdict does besides is media's, in the surfaces' after_scan
hooks below: a clean APK update with the same signer and no new permission is
approved on the spot; an infected version is rejected and loses its key.
Media's tasks queue these scans and its beat sweep (rescan_pending) retries them."""

import logging

from ent import files
from ent.files import ScanState
from media.actions.common import other_signer
from media.actions.reviews import approve
from media.models import Decision, Illustration, Item, Version

log = logging.getLogger(__name__)


def scan_later(version_id):
    """Queue the scan once the version is committed. If the broker cannot take it,
    the version stays held (never offered) and the beat's rescan_pending
    picks it up: the upload itself must not fail after it was recorded."""
    from media.tasks import scan_version  # media.tasks calls these actions: imported when needed

    try:
        scan_version.delay(version_id)
    except Exception as exc:  # kombu/redis errors, a closed producer pool
        log.warning("could not queue the scan of version %s (%s); rescan_pending will", version_id, exc)


def do_scan_version(version_id) -> Version | None:
    """Scan a version's object with clamd, as every surface's file is
    (ent.files.do_scan_file, then after_version_scan). Clean: reviewable, or
    auto-approved for an APK update with the same signer and no new permission.
    Infected: the object deleted, the version rejected, the uploader told.
    Idempotent; raises ScannerUnavailable / StorageUnavailable with no verdict
    (the version stays held and rescan_pending tries again)."""
    files.do_scan_file(files.MEDIA_FILE, version_id)
    return Version.objects.select_related("item").filter(id=version_id).first()


def after_version_scan(version, state):
    """In the verdict's transaction, the version locked (ent.files.record_verdict)."""
    if state == ScanState.INFECTED:
        # Never reviewable, and no key left to hand out (the object is deleted on commit).
        version.review = Version.Review.REJECTED
        version.key = ""
        version.save(update_fields=["review", "key"])
        return
    item = Item.objects.select_related("current_version").get(id=version.item_id)
    previous = item.current_version
    if (
        item.status == Item.Status.APPROVED
        and item.kind == Item.Kind.APK
        and previous is not None
        and previous.number < version.number
        and not version.apk_new_permissions
        and not version.apk_cert_changed
        and not version.apk_other_signer
        and other_signer(item, version.apk_package, version.apk_cert_sha256) is None
    ):
        approve(item, version, None, Decision.Verdict.AUTO_APPROVED)


def scan_illustration_later(illustration_id):
    from media.tasks import scan_illustration  # media.tasks calls these actions: imported when needed

    scan_illustration.delay(illustration_id)


def do_scan_illustration(illustration_id):
    """An icon or screenshot, scanned as a version is (ent.files.do_scan_file):
    shown once clean; infected, deleted and the uploader told."""
    files.do_scan_file(files.MEDIA_IMAGE, illustration_id)
    return Illustration.objects.select_related("item").filter(id=illustration_id).first()


def after_illustration_scan(illustration, state):
    if state == ScanState.INFECTED:
        illustration.key = ""
        illustration.save(update_fields=["key"])
