"""Celery tasks: take ids (or nothing, for the periodic sweeps), re-fetch, call
one action. Each is safe to run twice."""

import logging

from celery import shared_task

from ent.errors import StorageUnavailable
from homework import actions
from homework.models import Archive

log = logging.getLogger(__name__)


@shared_task(name="homework.announce_entry", ignore_result=True)
def announce_entry(entry_id):
    return actions.do_announce_entry(entry_id)


@shared_task(name="homework.publish_scheduled", ignore_result=True)
def publish_scheduled():
    """Announce entries whose scheduled publication time has come."""
    ids = list(actions.entries_to_announce())
    for entry_id in ids:
        announce_entry.delay(entry_id)
    return len(ids)


@shared_task(name="homework.remind_due_tomorrow", ignore_result=True)
def remind_due_tomorrow():
    return actions.do_send_due_reminders()


@shared_task(
    bind=True,
    name="homework.build_archive",
    ignore_result=True,
    max_retries=5,
)
def build_archive(self, archive_id):
    try:
        actions.do_build_archive(archive_id)
    except StorageUnavailable as exc:
        if self.request.retries >= self.max_retries:
            Archive.objects.filter(id=archive_id).exclude(status=Archive.Status.READY).update(
                status=Archive.Status.FAILED
            )
            log.error("archive %s failed: the object store stayed unavailable", archive_id)
            return
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries)


@shared_task(name="homework.sweep_orphans", ignore_result=True)
def sweep_orphans():
    return len(actions.do_sweep_orphans())
