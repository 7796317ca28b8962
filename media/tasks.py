"""Celery tasks of the media app: take ids, re-fetch, call one action. Idempotent."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from ent.errors import StorageUnavailable
from media import scanner

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def scan_version(version_id):
    from media.actions import do_scan_version

    try:
        do_scan_version(version_id)
    except (scanner.ScannerUnavailable, StorageUnavailable) as exc:
        # Not retried here: rescan_pending picks it up, so a scanner outage never
        # breaks the request that scheduled the scan (eager mode) nor floods retries.
        log.warning("scan of version %s postponed: %s", version_id, exc)


@shared_task(ignore_result=True)
def scan_illustration(illustration_id):
    from media.actions import do_scan_illustration

    try:
        do_scan_illustration(illustration_id)
    except (scanner.ScannerUnavailable, StorageUnavailable) as exc:
        log.warning("scan of illustration %s postponed: %s", illustration_id, exc)


@shared_task(ignore_result=True)
def rescan_pending():
    from media.models import Version

    stale = timezone.now() - timedelta(minutes=2)
    ids = Version.objects.filter(scan__in=[Version.Scan.PENDING, Version.Scan.FAILED], created_at__lt=stale).exclude(
        key=""
    )
    for version_id in ids.values_list("id", flat=True)[:200]:
        scan_version.delay(version_id)
    from media.models import Illustration

    pictures = Illustration.objects.filter(scan__in=[Version.Scan.PENDING, Version.Scan.FAILED], created_at__lt=stale)
    for illustration_id in pictures.exclude(key="").values_list("id", flat=True)[:200]:
        scan_illustration.delay(illustration_id)


@shared_task(ignore_result=True)
def build_fdroid_repo(fleet_id):
    from media.fdroid import do_build_fdroid_repo
    from media.models import Fleet

    fleet = Fleet.objects.filter(id=fleet_id).first()
    if fleet is not None:
        do_build_fdroid_repo(fleet)


@shared_task(ignore_result=True)
def sweep_orphans(fix=True):
    from media.hygiene import do_sweep_orphans

    report = do_sweep_orphans(fix=fix)
    log.info("media orphan sweep: %s", report)
    return None
