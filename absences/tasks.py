"""Scheduled work for absences (see CELERY_BEAT_SCHEDULE). Each task calls one
action and is idempotent: alerts are unique per pupil and month, and a purge
deletes only what is past retention."""

from celery import shared_task

from absences import actions, pending


@shared_task(name="absences.purge_expired", autoretry_for=(Exception,), retry_backoff=60, max_retries=5)
def purge_expired():
    return actions.retention.do_purge_expired()


@shared_task(name="absences.check_absenteeism")
def check_absenteeism():
    return len(actions.alerts.do_check_absenteeism_all())


@shared_task(name="absences.sweep_pending_documents", ignore_result=True)
def sweep_pending_documents():
    """Documents kept across a form error that nobody came back to send."""
    return len(pending.do_sweep_pending())
