"""Tablet fleets: enrolment, device tokens, the manifest with ETag, F-Droid repository."""

import hashlib
import io
import urllib.request

import pytest
from django.urls import reverse

from media import actions
from media.models import Fleet, Tablet, hash_token
from tests.media.conftest import apk_bytes
from tests.media.helpers import offered_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(world):
    return Fleet.objects.create(school=world.school, name="Classe mobile 1")


def _app(world, cb):
    return offered_item(world, cb, kind="apk", data=apk_bytes("app-v1.apk"), name="app.apk", title="Appli")


def _get(client, url, token, **headers):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}", **headers)


def test_enrol_shows_token_and_qr_once_and_stores_only_a_hash(world, fleet, client, login_as):
    login_as(world.referent)
    response = client.post(reverse("media:tablet_enrol", args=[fleet.id]), {"label": "Tablette 1"})
    assert response.status_code == 200
    token = response.context["token"]
    tablet = Tablet.objects.get()
    assert tablet.token_hash == hash_token(token) and token not in tablet.token_hash
    page = response.content.decode()
    assert "<svg" in page and token in page
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_manifest_lists_apps_with_etag_and_304(world, fleet, store, client, django_capture_on_commit_callbacks):
    item = _app(world, django_capture_on_commit_callbacks)
    actions.do_set_fleet_item(world.referent, fleet, item, mandatory=True)
    tablet, token = actions.do_enrol_tablet(world.referent, fleet, "T1")
    url = reverse("media:manifest")
    response = _get(client, url, token)
    assert response.status_code == 200
    body = response.json()
    [app] = body["apps"]
    v = item.current_version
    assert (app["package"], app["version_code"], app["sha256"], app["size"], app["mandatory"]) == (
        "org.ent.demo", 1, v.sha256, v.size, True,
    )  # fmt: skip
    etag = response["ETag"]
    # Nothing new: 304, no body, one query.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        again = _get(client, url, token, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert len(queries) == 1
    # The APK link works with the token and leads to the right bytes.
    apk = _get(client, app["url"].replace("http://testserver", ""), token)
    assert apk.status_code == 302
    with urllib.request.urlopen(apk["Location"], timeout=10) as resp:  # noqa: S310
        assert hashlib.sha256(resp.read()).hexdigest() == v.sha256
    # Withdrawal changes the ETag and empties the manifest at once.
    actions.do_withdraw(world.referent, item)
    changed = _get(client, url, token, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["apps"] == []
    assert changed["ETag"] != etag
    assert _get(client, app["url"].replace("http://testserver", ""), token).status_code == 404


def test_revoked_or_wrong_token_gets_401_and_nothing_else(world, fleet, client):
    tablet, token = actions.do_enrol_tablet(world.referent, fleet, "T1")
    url = reverse("media:manifest")
    assert _get(client, url, token).status_code == 200
    actions.do_revoke_tablet(world.referent, tablet)
    for t in (token, "wrong", ""):
        response = _get(client, url, t)
        assert response.status_code == 401
        assert response.content == b""
        assert "ETag" not in response
    assert client.get(url).status_code == 401


def test_revoke_view(world, fleet, client, login_as):
    tablet, token = actions.do_enrol_tablet(world.referent, fleet, "T1")
    login_as(world.staff_b)
    assert client.post(reverse("media:tablet_revoke", args=[tablet.id])).status_code == 404
    login_as(world.direction)
    assert client.post(reverse("media:tablet_revoke", args=[tablet.id])).status_code == 302
    tablet.refresh_from_db()
    assert tablet.revoked_at is not None


def test_only_approved_apps_of_the_school_go_on_tablets(world, fleet, db):
    from media.files import FileRefused
    from tests.media.helpers import link_item

    link = link_item(world)
    with pytest.raises(FileRefused):
        actions.do_set_fleet_item(world.referent, fleet, link, mandatory=True)
    assert fleet.fleet_items.count() == 0


def test_fdroid_repository_view_rules(world, fleet, store, client):
    """What the repository URL serves without a build (the full path, with real
    clients, is tests/media/test_store.py)."""
    from django.utils import timezone

    url = reverse("media:fdroid_file", args=[fleet.repo_secret, "entry.jar"])
    assert client.get(url).status_code == 404  # never built
    Fleet.objects.filter(id=fleet.id).update(repo_built_at=timezone.now(), repo_build="b1")
    assert client.get(url).status_code == 404  # the object is not there
    store.put_stream(f"fdroid/{fleet.id}/builds/b1/entry.jar", io.BytesIO(b"jar"), 3)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"jar"
    assert client.post(url).status_code == 405
    assert client.head(url).status_code == 200  # clients may ask HEAD first
    for bad in ("nope", "../x", "icons/../../keystore.p12"):
        assert client.get(reverse("media:fdroid_file", args=[fleet.repo_secret, bad])).status_code == 404
    assert client.get(reverse("media:fdroid_file", args=["wrong", "entry.jar"])).status_code == 404
    # An APK is served only while an offered app of this fleet has that name.
    assert client.get(reverse("media:fdroid_file", args=[fleet.repo_secret, "org.ent.demo_1.apk"])).status_code == 404


def test_changes_enqueue_a_rebuild_only_for_published_repositories(
    world, fleet, store, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    item = _app(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks() as callbacks:
        actions.do_set_fleet_item(world.referent, fleet, item, mandatory=True)
    assert callbacks == []  # never built: nothing to refresh
    other = Fleet.objects.create(school=world.school, name="Classe mobile 2")
    actions.do_set_fleet_item(world.referent, other, item, mandatory=False)
    Fleet.objects.filter(id__in=[fleet.id, other.id]).update(repo_built_at=timezone.now())
    fleet.refresh_from_db()
    with django_capture_on_commit_callbacks() as callbacks:
        actions.do_remove_fleet_item(world.referent, fleet, item)
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks() as callbacks:
        actions.do_delete_item(world.referent, item)
    # The remaining fleet's rebuild, and the deletion of the item's objects.
    assert len(callbacks) == 2
