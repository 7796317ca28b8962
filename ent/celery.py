import logging
import os

from celery import Celery

log = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ent.settings")

app = Celery("ent")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def queue(task, *args, catch_up: str) -> None:
    """Queue a task, typically once the caller's transaction has committed. With
    the broker down, failing the request would lose nothing but show an error:
    the work stays pending in the database and the periodic `catch_up` task
    does it later."""
    try:
        task.delay(*args)
    except Exception as exc:  # kombu's OperationalError, redis' ConnectionError ...
        log.warning("could not queue %s (%s); %s will catch up", task.name, exc, catch_up)
