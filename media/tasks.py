"""Celery tasks of the media app: take ids, re-fetch, call one action. Idempotent.

The actions queue these tasks (media.actions.scans and .repository import this
module when they do), so the tasks import the actions, and what those import,
inside each task: a module-level import would be a cycle."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from ent.errors import StorageUnavailable
from ent.files import ScannerUnavailable, ScanState

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def scan_version(version_id):
    from media.actions.scans import do_scan_version

    try:
        do_scan_version(version_id)
    except (ScannerUnavailable, StorageUnavailable) as exc:
        # Not retried here: rescan_pending picks it up, so a scanner outage never
        # breaks the request that scheduled the scan (eager mode) nor floods retries.
        log.warning("scan of version %s postponed: %s", version_id, exc)


@shared_task(ignore_result=True)
def scan_illustration(illustration_id):
    from media.actions.scans import do_scan_illustration

    try:
        do_scan_illustration(illustration_id)
    except (ScannerUnavailable, StorageUnavailable) as exc:
        log.warning("scan of illustration %s postponed: %s", illustration_id, exc)


@shared_task(ignore_result=True)
def rescan_pending():
    from media.models import Version

    stale = timezone.now() - timedelta(minutes=2)
    ids = Version.objects.filter(scan=ScanState.HELD, created_at__lt=stale).exclude(key="")
    for version_id in ids.values_list("id", flat=True)[:200]:
        scan_version.delay(version_id)
    from media.models import Illustration

    pictures = Illustration.objects.filter(scan=ScanState.HELD, created_at__lt=stale)
    for illustration_id in pictures.exclude(key="").values_list("id", flat=True)[:200]:
        scan_illustration.delay(illustration_id)
    # Also the store's other retry: repositories left out of date (the beat schedule
    # is shared settings; this task already runs every 5 min).
    retry_stale_repositories()


# Retries of a failed build: 1, 2, 4, 8, 16 min; past that, rescan_pending's sweep
# (every 5 min, from beat) keeps trying fleets still marked out of date.
BUILD_RETRIES = 5


@shared_task(bind=True, ignore_result=True, max_retries=BUILD_RETRIES)
def build_fdroid_repo(self, fleet_id):
    """Build, verify and publish one fleet's repository. A failure keeps the last
    good repository served, marks the fleet out of date (with the reason, the
    référent told) and is retried."""
    from media.actions.repository import do_record_repo_failure
    from media.fdroid import do_build_fdroid_repo
    from media.models import Fleet

    fleet = Fleet.objects.filter(id=fleet_id).first()
    if fleet is None:
        return
    try:
        do_build_fdroid_repo(fleet)
    except Exception as exc:
        log.warning("F-Droid build of fleet %s failed: %s", fleet_id, exc)
        do_record_repo_failure(fleet_id, str(exc))
        if self.request.is_eager:
            # No worker to come back later: the sweep retries.
            return
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from None


def retry_stale_repositories():
    """Fleets whose last build failed, or whose repository lags behind a change
    (a lost task): rebuild them, at most one attempt per 5 min each."""
    from django.db.models import F, Q

    from media.models import Fleet

    stale = timezone.now() - timedelta(minutes=5)
    fleets = Fleet.objects.filter(repo_built_at__isnull=False).filter(
        Q(repo_error__gt="", repo_failed_at__lt=stale) | Q(repo_revision__lt=F("revision"), repo_built_at__lt=stale)
    )
    for fleet_id in fleets.values_list("id", flat=True)[:50]:
        build_fdroid_repo.delay(fleet_id)


@shared_task(ignore_result=True)
def sweep_orphans(fix=True):
    from media.hygiene import do_sweep_orphans

    report = do_sweep_orphans(fix=fix)
    log.info("media orphan sweep: %s", report)
    return None
