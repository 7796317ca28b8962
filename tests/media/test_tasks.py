"""The Celery tasks: rescan after a scanner outage, the sweep task."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ent.files import ScanState
from media.models import Version
from media.tasks import rescan_pending, sweep_orphans
from tests.media.helpers import propose

pytestmark = pytest.mark.django_db


def test_rescan_after_an_outage(world, s3, settings, av, django_capture_on_commit_callbacks):
    socket_path = settings.CLAMD_SOCKET
    settings.CLAMD_SOCKET = "/tmp/nonexistent-ent-clamd.sock"
    with django_capture_on_commit_callbacks(execute=True):
        item = propose(world)
    version = item.versions.get()
    assert version.scan == ScanState.HELD
    Version.objects.filter(id=version.id).update(created_at=timezone.now() - timedelta(minutes=5))
    settings.CLAMD_SOCKET = socket_path
    rescan_pending.delay()
    version.refresh_from_db()
    assert version.scan == ScanState.OFFERED


def test_sweep_task_runs(world, s3):
    sweep_orphans.delay()
