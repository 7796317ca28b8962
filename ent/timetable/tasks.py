"""Scheduled work of the timetable (see CELERY_BEAT_SCHEDULE). Each task
calls one action and is idempotent (the reminder goes out once per lesson)."""

from celery import shared_task

from ent.timetable import actions


@shared_task(name="timetable.remind_registers", ignore_result=True)
def remind_registers():
    return actions.do_remind_registers()


@shared_task(name="timetable.announce_change", ignore_result=True)
def announce_change(change_id):
    """Queued after a change is committed (actions.do_record_change); safe to
    run twice."""
    return actions.announce_change(change_id)
