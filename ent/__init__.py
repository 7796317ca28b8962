# Celery must be loaded when Django starts so that @shared_task binds to our app.
from .celery import app as celery_app

__all__ = ("celery_app",)
