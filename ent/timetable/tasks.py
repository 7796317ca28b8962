"""Scheduled work of the timetable (see CELERY_BEAT_SCHEDULE). Each task
calls one action and is idempotent (the reminder goes out once per lesson)."""

from celery import shared_task

from ent.timetable import actions


@shared_task(name="timetable.remind_registers", ignore_result=True)
def remind_registers():
    return actions.do_remind_registers()
