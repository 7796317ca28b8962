"""The orphan sweep: objects without rows, rows without objects, abandoned uploads."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from ent.files import ScanState
from media import actions
from media.hygiene import do_sweep_orphans
from media.models import Fleet, UploadTicket
from tests.media.helpers import offered_item

pytestmark = pytest.mark.django_db


def test_sweep_reports_then_fixes(world, store, django_capture_on_commit_callbacks, monkeypatch):
    item = offered_item(world, django_capture_on_commit_callbacks)
    fleet = Fleet.objects.create(school=world.school, name="F")
    kept = item.current_version
    # An object without a row (a crash between the store write and the rows).
    store.put_stream("media/1/orphan", io.BytesIO(b"x"), 1)
    # A row whose object vanished.
    with django_capture_on_commit_callbacks(execute=True):
        lost = actions.do_add_version(
            world.teacher, item, __import__("tests.media.conftest").media.conftest.upload(b"%PDF-1.4 lost", "lost.pdf")
        )
    store.delete(lost.key)
    # An abandoned direct upload.
    UploadTicket.objects.create(
        key="media/1/abandoned", school=world.school, filename="a.pdf", size=1, created_by=world.teacher,
        expires_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    store.put_stream("media/1/abandoned", io.BytesIO(b"y"), 1)
    monkeypatch.setattr("media.hygiene.GRACE", timedelta(0))

    report = do_sweep_orphans(fix=False)
    assert sorted(report.orphan_objects) == ["media/1/abandoned", "media/1/orphan"]
    assert report.missing_objects == [lost.id]
    assert report.expired_uploads == 1
    assert "media/1/orphan" in set(store.list_keys())  # report only

    do_sweep_orphans(fix=True)
    assert set(store.list_keys()) == {kept.key}
    lost.refresh_from_db()
    assert lost.key == "" and lost.scan == ScanState.HELD
    assert not UploadTicket.objects.exists()
    item.refresh_from_db()
    assert item.current_version_id == kept.id
    assert do_sweep_orphans(fix=False).orphan_objects == []
    assert fleet.revision == 1


def test_sweep_unsets_a_current_version_whose_object_is_gone(world, store, django_capture_on_commit_callbacks):
    item = offered_item(world, django_capture_on_commit_callbacks)
    fleet = Fleet.objects.create(school=world.school, name="F")
    fleet.fleet_items.create(item=item)
    store.delete(item.current_version.key)
    do_sweep_orphans(fix=True)
    item.refresh_from_db()
    fleet.refresh_from_db()
    assert item.current_version is None
    assert fleet.revision == 2
    from media.models import Item

    assert not Item.objects.mine(world.pupil).exists()
