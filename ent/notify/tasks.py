"""Celery tasks: take ids, call one action, retry with backoff on transient
failures. Every send first claims its Delivery rows, so a task run twice (a
retry, a redelivered message) sends once."""

from celery import shared_task
from django.conf import settings

from ent.notify import actions
from ent.notify.models import Delivery
from ent.notify.push import push_unread_counts


def _max_retries():
    return settings.NOTIFY_MAX_RETRIES


def _retry(task, exc):
    # throw=False: the retry is scheduled and returned, not raised. A worker has
    # already queued it; an eager run (tests, `make run`) applies it at once,
    # which a raised Retry would not do with CELERY_TASK_EAGER_PROPAGATES.
    return task.retry(exc=exc, countdown=actions.retry_countdown(task.request.retries), throw=False)


@shared_task(name="notify.deliver_many", ignore_result=True)
def deliver_many(delivery_ids):
    # One broker message from the request; one task per delivery from here, so
    # each retries on its own.
    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)


@shared_task(bind=True, name="notify.deliver", ignore_result=True, max_retries=None)
def deliver(self, delivery_id):
    try:
        return actions.do_send_delivery(delivery_id, last_attempt=self.request.retries >= _max_retries())
    except actions.TransientDeliveryError as exc:
        return _retry(self, exc)


@shared_task(bind=True, name="notify.send_digest", ignore_result=True, max_retries=None)
def send_digest(self, user_id, delivery_ids):
    try:
        return actions.do_send_digest(user_id, delivery_ids, last_attempt=self.request.retries >= _max_retries())
    except actions.TransientDeliveryError as exc:
        return _retry(self, exc)


@shared_task(name="notify.release_due", ignore_result=True)
def release_due(mode=None):
    """Send what has become due: messages held back by quiet hours or the night,
    and digests. Run by beat every 15 minutes and at digest time."""
    immediate, digests = actions.due_deliveries(mode)
    for delivery_id in immediate:
        deliver.delay(delivery_id)
    for user_id, ids in digests.items():
        send_digest.delay(user_id, ids)
    return {"immediate": len(immediate), "digests": len(digests)}


@shared_task(name="notify.send_digests", ignore_result=True)
def send_digests(mode):
    if mode not in (Delivery.Mode.DAILY, Delivery.Mode.WEEKLY):
        raise ValueError(f"not a digest mode: {mode!r}")
    return release_due(mode)


@shared_task(name="notify.push_unread", ignore_result=True)
def push_unread(user_ids):
    push_unread_counts(user_ids)
