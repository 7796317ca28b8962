"""Celery tasks: take ids (or nothing, for the periodic sweep), re-fetch, call
one action. Each is safe to run twice."""

from celery import shared_task

from messaging import actions


@shared_task(name="messaging.notify_announcement", ignore_result=True)
def notify_announcement(announcement_id):
    return actions.do_notify_announcement(announcement_id)


@shared_task(name="messaging.notify_pending_announcements", ignore_result=True)
def notify_pending_announcements():
    """Announcements whose task was lost (broker down, worker killed)."""
    ids = list(actions.announcements_to_notify())
    for announcement_id in ids:
        notify_announcement.delay(announcement_id)
    return len(ids)
