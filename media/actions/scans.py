"""The antivirus scan of versions and images, read and scanned as every
surface's file is (ent.files.scan_stored), in the file gate's states
(ent/files.py): held until a verdict, then offered or infected. What a verdict
does stays media's: a clean APK update with the same signer and no new
permission is approved on the spot; an infected version is rejected and loses
its key; the notice points at the item."""

import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ent import files
from ent.files import ScanState
from ent.notify.api import notify
from media.actions.common import delete_quietly, other_signer
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
    """Scan a version's object with clamd. Clean → reviewable (or auto-approved
    for an APK update with the same signer and no new permission). Infected → the
    object is deleted, the version marked, the uploader told. Idempotent."""
    version = Version.objects.select_related("item").filter(id=version_id).first()
    if version is None or version.scan != ScanState.HELD:
        return version
    try:
        verdict = files.scan_stored(version.key)
    except files.ScannerUnavailable as exc:
        # No verdict: the version stays held and rescan_pending tries again.
        log.warning("scan of version %s failed: %s", version.id, exc)
        raise
    if verdict is None:
        # As on the other surfaces (ent.files.do_scan_file): the row stays held,
        # never offered; the orphan sweep clears its key.
        log.error("held version %s has no object %s", version.id, version.key)
        version.scan_signature = "object missing"
        version.save(update_fields=["scan_signature"])
        return version
    clean, signature = verdict
    if clean:
        _mark_clean(version)
    else:
        _quarantine(version, signature)
    return version


def scan_illustration_later(illustration_id):
    from media.tasks import scan_illustration  # media.tasks calls these actions: imported when needed

    scan_illustration.delay(illustration_id)


def do_scan_illustration(illustration_id):
    illustration = Illustration.objects.select_related("item").filter(id=illustration_id).first()
    if illustration is None or illustration.scan != ScanState.HELD:
        return illustration
    verdict = files.scan_stored(illustration.key)
    if verdict is None:
        return illustration
    clean, signature = verdict
    if clean:
        Illustration.objects.filter(id=illustration.id).update(scan=ScanState.OFFERED)
        return illustration
    key = illustration.key
    with transaction.atomic():
        Illustration.objects.filter(id=illustration.id).update(scan=ScanState.INFECTED, key="")
        if illustration.uploaded_by_id:
            notify(
                [illustration.uploaded_by_id],
                "resource.infected",
                obj=illustration.item,
                context={
                    "title": illustration.item.title,
                    "filename": illustration.filename,
                    "signature": signature,
                    "url": reverse("media:item", args=[illustration.item_id]),
                },
            )
        transaction.on_commit(lambda: delete_quietly(key))
    return illustration


def _mark_clean(version):
    with transaction.atomic():
        locked = Version.objects.select_for_update(of=("self",))
        version = locked.select_related("item__current_version").get(id=version.id)
        version.scan = ScanState.OFFERED
        version.scanned_at = timezone.now()
        version.save(update_fields=["scan", "scanned_at"])
        item = version.item
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


def _quarantine(version, signature):
    key = version.key
    with transaction.atomic():
        version = Version.objects.select_for_update(of=("self",)).select_related("item").get(id=version.id)
        version.scan = ScanState.INFECTED
        version.scan_signature = signature[:200]
        version.scanned_at = timezone.now()
        version.review = Version.Review.REJECTED
        version.key = ""
        version.save(update_fields=["scan", "scan_signature", "scanned_at", "review", "key"])
        if version.uploaded_by_id:
            notify(
                [version.uploaded_by_id],
                "resource.infected",
                obj=version.item,
                context={
                    "title": version.item.title,
                    "filename": version.filename,
                    "signature": signature,
                    "url": reverse("media:item", args=[version.item_id]),
                },
            )
        # The infected object must not stay downloadable: delete it once the row says so.
        transaction.on_commit(lambda: delete_quietly(key))
