"""APK review data at upload, signature checks, re-approval on new permissions or signer."""

import pytest

from media import actions
from media.files import FileRefused
from media.models import Decision, Item, Version
from tests.media.conftest import PDF, apk_bytes, upload
from tests.media.helpers import offered_item

pytestmark = pytest.mark.django_db

CERT_MAIN = "b9639b8c642ae12f5c467759dba20de9f7aa62b256844284e1401f6663b292f4"


def _app(world, cb):
    return offered_item(world, cb, kind="apk", data=apk_bytes("app-v1.apk"), name="app.apk", title="Appli")


def _new_version(world, item, name, cb):
    with cb(execute=True):
        version = actions.do_add_version(world.teacher, item, upload(apk_bytes(name), "app.apk"))
    version.refresh_from_db()
    item.refresh_from_db()
    return version


def test_review_data_is_read_and_signature_verified(world, store, django_capture_on_commit_callbacks):
    item = _app(world, django_capture_on_commit_callbacks)
    v = item.current_version
    assert (v.apk_package, v.apk_version_name, v.apk_version_code) == ("org.ent.demo", "1.0", 1)
    assert (v.apk_min_sdk, v.apk_target_sdk) == (24, 33)
    assert v.apk_permissions == ["android.permission.INTERNET"]
    # The certificate apksigner verified (the test APKs are rebuilt with a new key by make_apks.sh).
    assert len(v.apk_cert_sha256) == 64
    assert v.content_type == "application/vnd.android.package-archive"


@pytest.mark.parametrize(
    "data,message",
    [(apk_bytes("unsigned.apk"), "not signed"), (b"PK\x03\x04" + b"\0" * 200, "not accepted"), (PDF, "not a")],
)
def test_bad_apks_are_refused(world, store, data, message):
    with pytest.raises(FileRefused, match=message):
        actions.do_propose_item(
            world.teacher, world.school, {"kind": "apk", "title": "X"}, uploaded=upload(data, "app.apk")
        )
    assert not Item.objects.exists()
    assert list(store.list_keys()) == []


def test_update_with_same_signer_and_permissions_is_approved_automatically(
    world, store, django_capture_on_commit_callbacks
):
    item = _app(world, django_capture_on_commit_callbacks)
    v2 = _new_version(world, item, "app-v2-same.apk", django_capture_on_commit_callbacks)
    assert v2.review == Version.Review.APPROVED
    assert item.current_version_id == v2.id
    assert Decision.objects.filter(item=item, verdict="auto_approved", version_number=2).exists()


def test_new_permission_needs_approval_and_shows_the_difference(
    world, store, django_capture_on_commit_callbacks, client, login_as
):
    item = _app(world, django_capture_on_commit_callbacks)
    v1 = item.current_version
    v2 = _new_version(world, item, "app-v2.apk", django_capture_on_commit_callbacks)
    assert v2.review == Version.Review.PENDING
    assert v2.apk_new_permissions == ["android.permission.CAMERA"]
    assert not v2.apk_cert_changed
    assert item.current_version_id == v1.id  # pupils keep the approved one meanwhile
    login_as(world.referent)
    page = client.get(f"/ressources/{item.id}/").content.decode()
    assert "android.permission.CAMERA" in page
    assert f'name="version" value="{v2.id}"' in page
    actions.do_approve(world.referent, item, v2)
    item.refresh_from_db()
    assert item.current_version_id == v2.id


def test_another_signer_needs_approval(world, store, django_capture_on_commit_callbacks):
    item = _app(world, django_capture_on_commit_callbacks)
    v2 = _new_version(world, item, "app-otherkey.apk", django_capture_on_commit_callbacks)
    assert v2.apk_cert_changed
    assert v2.review == Version.Review.PENDING
    assert item.current_version.number == 1


def test_version_code_must_increase(world, store, django_capture_on_commit_callbacks):
    item = _app(world, django_capture_on_commit_callbacks)
    with pytest.raises(FileRefused, match="version code"):
        actions.do_add_version(world.teacher, item, upload(apk_bytes("app-v1.apk"), "app.apk"))
    assert item.versions.count() == 1
    assert len(list(store.list_keys())) == 1
