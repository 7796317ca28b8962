"""Browser → object store with a presigned PUT, then the server checks what arrived."""

import hashlib
import json
import urllib.request

import pytest
from django.urls import reverse

from ent.files import ScanState
from media.models import Item, UploadTicket, Version
from tests.media.conftest import PDF, apk_bytes

pytestmark = pytest.mark.django_db


def _put(url, data):
    req = urllib.request.Request(url, data=data, method="PUT")
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - our test server
        return resp.status


def _start(client, world, *, size, sha256="", **extra):
    data = {"school": world.school.id, "kind": "document", "title": "Cours direct", "filename": "../cours.pdf",
            "size": size, "sha256": sha256, **extra}  # fmt: skip
    return client.post(reverse("media:upload_start"), data, HTTP_ACCEPT="application/json")


def test_direct_upload_recorded_after_checks(world, store, client, login_as, django_capture_on_commit_callbacks):
    login_as(world.teacher)
    response = _start(client, world, size=len(PDF), sha256=hashlib.sha256(PDF).hexdigest())
    assert response.status_code == 201, response.content
    body = response.json()
    assert _put(body["put_url"], PDF) == 200
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(body["finish_url"])
    assert done.status_code == 201, done.content
    item = Item.objects.get()
    version = item.versions.get()
    assert done.json()["item_url"] == reverse("media:item", args=[item.id])
    assert (version.size, version.sha256, version.filename) == (len(PDF), hashlib.sha256(PDF).hexdigest(), "cours.pdf")
    assert version.scan == ScanState.OFFERED
    assert not UploadTicket.objects.exists()


def test_checksum_mismatch_deletes_the_object(world, store, client, login_as):
    login_as(world.teacher)
    body = _start(client, world, size=len(PDF), sha256="0" * 64).json()
    _put(body["put_url"], PDF)
    done = client.post(body["finish_url"])
    assert done.status_code == 400
    assert "checksum" in done.json()["error"]
    assert list(store.list_keys()) == []
    assert not Item.objects.exists() and not UploadTicket.objects.exists()


def test_upload_stopped_half_way_is_refused(world, store, client, login_as):
    login_as(world.teacher)
    body = _start(client, world, size=len(PDF) + 1000).json()
    _put(body["put_url"], PDF)
    done = client.post(body["finish_url"])
    assert done.status_code == 400
    assert "half-way" in done.json()["error"]
    assert list(store.list_keys()) == []
    assert not Item.objects.exists()


def test_nothing_uploaded_is_refused(world, store, client, login_as):
    login_as(world.teacher)
    body = _start(client, world, size=len(PDF)).json()
    done = client.post(body["finish_url"])
    assert done.status_code == 400
    assert not Item.objects.exists() and not UploadTicket.objects.exists()


def test_wrong_content_type_is_refused_after_upload(world, store, client, login_as):
    login_as(world.teacher)
    exe = b"MZ" + b"\0" * 500
    body = _start(client, world, size=len(exe)).json()
    _put(body["put_url"], exe)
    done = client.post(body["finish_url"])
    assert done.status_code == 400
    assert list(store.list_keys()) == []


def test_quota_checked_before_the_upload_starts(world, store, client, login_as, settings):
    settings.MEDIA_QUOTA_TEACHER_BYTES = 1000
    login_as(world.teacher)
    response = _start(client, world, size=1001)
    assert response.status_code == 400
    assert "quota" in response.json()["error"]
    # A pending upload reserves its size.
    assert _start(client, world, size=600).status_code == 201
    assert _start(client, world, size=600).status_code == 400
    settings.MEDIA_MAX_UPLOAD_BYTES = 10
    assert "too large" in _start(client, world, size=11).json()["error"]


def test_bad_form_gives_field_errors(world, store, client, login_as):
    login_as(world.teacher)
    response = client.post(reverse("media:upload_start"), {"kind": "document"})
    assert response.status_code == 400
    assert "title" in response.json()["fields"]
    assert not UploadTicket.objects.exists()


def test_another_users_ticket_is_404(world, store, client, login_as):
    login_as(world.teacher)
    body = _start(client, world, size=len(PDF)).json()
    login_as(world.other_teacher)
    assert client.post(body["finish_url"]).status_code == 404


def test_direct_new_version_of_an_app(world, store, client, login_as, django_capture_on_commit_callbacks):
    from tests.media.helpers import offered_item

    item = offered_item(world, django_capture_on_commit_callbacks, kind="apk", data=apk_bytes("app-v1.apk"))
    data = apk_bytes("app-v2.apk")
    login_as(world.teacher)
    response = client.post(reverse("media:upload_start"), {"item": item.id, "filename": "a.apk", "size": len(data)})
    assert response.status_code == 201, response.content
    body = response.json()
    _put(body["put_url"], data)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(body["finish_url"]).status_code == 201
    v2 = item.versions.get(number=2)
    assert v2.apk_new_permissions == ["android.permission.CAMERA"]
    assert json.loads(json.dumps(v2.apk_permissions))


def test_school_quota_reservations_are_counted_one_after_the_other(world, store, settings):
    """Reservations are made under a row lock on the school: two teachers starting
    uploads that together exceed the school's quota cannot both pass."""
    from media import actions
    from media.files import FileRefused

    settings.MEDIA_QUOTA_SCHOOL_BYTES = 1000
    first, _url = actions.do_start_direct_upload(world.teacher, world.school, filename="a.pdf", size=600)
    with pytest.raises(FileRefused, match="school's storage quota"):
        actions.do_start_direct_upload(world.other_teacher, world.school, filename="b.pdf", size=600)
    assert list(UploadTicket.objects.values_list("id", flat=True)) == [first.id]
    # The room comes back when the reservation ends.
    first.delete()
    actions.do_start_direct_upload(world.other_teacher, world.school, filename="b.pdf", size=600)


def test_streamed_upload_rechecks_the_quota_when_recording(world, store, settings):
    """The streamed path stores the file before recording it: the quota is checked
    again under the lock, and a refusal leaves neither row nor object."""
    from ent import storage
    from media import actions
    from media.actions.common import new_key
    from media.actions.items import record
    from media.files import FileRefused
    from tests.media.helpers import propose

    settings.MEDIA_QUOTA_SCHOOL_BYTES = 1000
    stored = {"key": new_key(world.school.id), "filename": "c.pdf", "content_type": "application/pdf"}
    with open(__file__, "rb") as fh:  # any bytes will do: only the size is checked here
        storage.put_stream(stored["key"], fh, 10)
    actions.do_start_direct_upload(world.other_teacher, world.school, filename="b.pdf", size=995)
    item = propose(world, kind="link", url="https://example.org/", title="Lien")
    with pytest.raises(FileRefused, match="school's storage quota"):
        record(lambda: item, {**stored, "size": 10, "sha256": "0" * 64}, user=world.teacher)
    assert not Version.objects.exists()
    assert storage.stat(stored["key"]) is None
