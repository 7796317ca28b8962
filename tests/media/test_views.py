"""The pages: Mes ressources, open/download links, proposing, reviewing."""

import time
import urllib.error
import urllib.request

import pytest
from django.urls import reverse

from ent.files import ScanState
from media import actions
from media.models import Item
from tests.media.conftest import PDF, PNG, upload
from tests.media.helpers import link_item, offered_item

pytestmark = pytest.mark.django_db


def _fetch(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    return urllib.request.urlopen(req, timeout=10)  # noqa: S310 - the test S3 server


def test_pupil_sees_assigned_resources_and_opens_them(
    world, store, client, login_as, django_capture_on_commit_callbacks
):
    item = offered_item(world, django_capture_on_commit_callbacks, title="Fiche de révision")
    link = link_item(world)
    login_as(world.pupil)
    page = client.get(reverse("media:mine"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Fiche de révision" in text and "Dictionnaire" in text
    # Download: a short-lived presigned URL with Content-Disposition.
    response = client.get(reverse("media:download", args=[item.id]))
    assert response.status_code == 302
    assert {"private", "no-store"} <= {d.strip() for d in response["Cache-Control"].split(",")}
    with _fetch(response["Location"]) as resp:
        assert resp.read() == PDF
        assert resp.headers["Content-Disposition"] == 'attachment; filename="cours.pdf"'
    opened = client.get(reverse("media:open", args=[item.id]))
    with _fetch(opened["Location"]) as resp:
        assert resp.headers["Content-Disposition"].startswith("inline")
        assert resp.headers["Content-Type"] == "application/pdf"
    assert client.get(reverse("media:open", args=[link.id]))["Location"] == "https://fr.wiktionary.org/"


def test_presigned_links_expire(world, store, client, login_as, settings, django_capture_on_commit_callbacks):
    item = offered_item(world, django_capture_on_commit_callbacks)
    settings.S3_PRESIGN_SECONDS = 1
    login_as(world.pupil)
    url = client.get(reverse("media:download", args=[item.id]))["Location"]
    assert "X-Amz-Expires=1" in url
    time.sleep(2.1)
    with pytest.raises(urllib.error.HTTPError) as failed:
        _fetch(url)
    assert failed.value.code == 403


def test_video_plays_inline_with_range_requests(world, store, client, login_as, django_capture_on_commit_callbacks):
    video = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40
    item = offered_item(world, django_capture_on_commit_callbacks, kind="video", data=video, name="film.mp4")
    login_as(world.guardian)
    page = client.get(reverse("media:mine"), {"child": world.pupil.id}).content.decode()
    assert f'<video controls preload="none" src="{reverse("media:open", args=[item.id])}"' in page
    url = client.get(reverse("media:open", args=[item.id]))["Location"]
    with _fetch(url, {"Range": "bytes=100-199"}) as resp:
        assert resp.status == 206
        assert resp.read() == video[100:200]
        assert resp.headers["Content-Type"] == "video/mp4"


def test_parent_sees_each_child_and_never_another_family(
    world, store, client, login_as, django_capture_on_commit_callbacks
):
    item = offered_item(world, django_capture_on_commit_callbacks, title="Pour 6e A")
    login_as(world.guardian)
    assert "Pour 6e A" in client.get(reverse("media:mine"), {"child": world.pupil.id}).content.decode()
    assert "Pour 6e A" not in client.get(reverse("media:mine"), {"child": world.sibling.id}).content.decode()
    login_as(world.parent_b)
    assert "Pour 6e A" not in client.get(reverse("media:mine"), {"child": world.pupil.id}).content.decode()
    for name in ("media:open", "media:download", "media:item"):
        assert client.get(reverse(name, args=[item.id])).status_code == 404
    login_as(world.other_pupil)
    assert client.get(reverse("media:download", args=[item.id])).status_code == 404


def test_pending_versions_are_not_downloadable_by_families(
    world, store, client, login_as, django_capture_on_commit_callbacks
):
    item = offered_item(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        v2 = actions.do_add_version(world.teacher, item, upload(PDF + b"%v2", "v2.pdf"))
    login_as(world.pupil)
    assert client.get(reverse("media:download", args=[item.id]), {"version": v2.id}).status_code == 404
    login_as(world.referent)
    assert client.get(reverse("media:download", args=[item.id]), {"version": v2.id}).status_code == 302


def test_mine_query_count_does_not_grow(world, store, client, login_as, django_assert_max_num_queries):
    def count():
        login_as(world.pupil)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("media:mine")).status_code == 200
        return len(ctx)

    link_item(world, title="A")
    # With the production caches on, the first request reads the person's roles
    # (cached under the directory version): counts compare warm requests.
    count()
    small = count()
    for n in range(8):
        link_item(world, title=f"Lien {n}")
    assert count() == small
    with django_assert_max_num_queries(small):
        client.get(reverse("media:mine"))


def test_catalogue_query_count_does_not_grow(world, client, login_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        login_as(world.referent)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("media:catalogue")).status_code == 200
        return len(ctx)

    link_item(world, title="A")
    # With the production caches on, the first request reads the person's roles
    # (cached under the directory version): counts compare warm requests.
    count()
    small = count()
    for n in range(8):
        link_item(world, title=f"Lien {n}")
    assert count() == small


def test_propose_form_streams_the_file(world, store, client, login_as, django_capture_on_commit_callbacks):
    login_as(world.teacher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("media:propose"),
            {"school": world.school.id, "kind": "image", "title": "Schéma", "subjects": [world.subject.id],
             "file": upload(PNG, "schema.png")},
        )  # fmt: skip
    item = Item.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("media:item", args=[item.id])
    assert list(item.subjects.all()) == [world.subject]
    assert item.versions.get().scan == ScanState.OFFERED


def test_propose_bad_input_changes_nothing(world, store, client, login_as):
    login_as(world.teacher)
    url = reverse("media:propose")
    bad = [
        {"school": world.school.id, "kind": "document", "title": ""},
        {"school": world.school.id, "kind": "link", "title": "X", "url": "javascript:alert(1)"},
        {"school": world.school.id, "kind": "link", "title": "X"},
        {"school": world.school_b.id, "kind": "link", "title": "X", "url": "https://a.org"},
        {"school": world.school.id, "kind": "document", "title": "X", "file": upload(PNG, "x.pdf")},
    ]
    for data in bad:
        response = client.post(url, data)
        assert response.status_code == 400, data
        assert 'class="errorlist' in response.content.decode()
    assert not Item.objects.exists()
    assert list(store.list_keys()) == []


def test_wrong_methods(world, client, login_as):
    item = link_item(world)
    login_as(world.referent)
    assert client.get(reverse("media:approve", args=[item.id])).status_code == 405
    assert client.post(reverse("media:mine")).status_code == 405
    assert client.post(reverse("media:manifest")).status_code == 405


def test_review_through_the_pages(world, store, client, login_as, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        item = actions.do_propose_item(
            world.teacher, world.school, {"kind": "document", "title": "Cours"}, uploaded=upload(PDF)
        )
    version = item.versions.get()
    login_as(world.teacher)
    assert client.post(reverse("media:approve", args=[item.id]), {"version": version.id}).status_code == 403
    login_as(world.referent)
    page = client.get(reverse("media:item", args=[item.id])).content.decode()
    assert "Cours" in page and version.sha256 in page
    # Rejecting without a reason: refused, nothing changed.
    client.post(reverse("media:reject", args=[item.id]), {"version": version.id, "reason": ""})
    item.refresh_from_db()
    assert item.status == Item.Status.PROPOSED
    response = client.post(reverse("media:approve", args=[item.id]), {"version": version.id})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.current_version_id == version.id
    response = client.post(reverse("media:assign", args=[item.id]), {"classes": [world.klass.id]})
    assert list(item.assignments.values_list("school_class_id", flat=True)) == [world.klass.id]
    client.post(reverse("media:assign", args=[item.id]), {"classes": [world.class_b.id]})
    assert list(item.assignments.values_list("school_class_id", flat=True)) == [world.klass.id]
    client.post(reverse("media:withdraw", args=[item.id]))
    login_as(world.pupil)
    assert client.get(reverse("media:item", args=[item.id])).status_code == 404


def test_delete_item_removes_its_objects(world, store, client, login_as, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        item = actions.do_propose_item(
            world.teacher, world.school, {"kind": "document", "title": "Cours"}, uploaded=upload(PDF)
        )
        actions.do_add_version(world.teacher, item, upload(PDF + b"%2"))
    assert len(list(store.list_keys())) == 2
    login_as(world.teacher)
    with django_capture_on_commit_callbacks(execute=True):
        version = item.versions.get(number=2)
        assert client.post(reverse("media:delete_version", args=[version.id])).status_code == 302
    assert len(list(store.list_keys())) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("media:delete", args=[item.id])).status_code == 302
    assert list(store.list_keys()) == []
    assert not Item.objects.exists()
