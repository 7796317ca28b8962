"""Icons and screenshots: scanned, then shown to whoever sees the item."""

import pytest
from django.urls import reverse

from media.models import Illustration
from tests.media.conftest import INFECTED_PDF, PDF, PNG, upload
from tests.media.helpers import link_item

pytestmark = pytest.mark.django_db


def test_icon_is_scanned_then_shown_to_the_class(world, store, client, login_as, django_capture_on_commit_callbacks):
    item = link_item(world)
    login_as(world.teacher)
    url = reverse("media:add_illustration", args=[item.id])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"role": "icon", "file": upload(PNG, "icone.png")}).status_code == 302
    icon = Illustration.objects.get()
    assert icon.scan == "offered"
    login_as(world.pupil)
    page = client.get(reverse("media:mine")).content.decode()
    assert reverse("media:illustration", args=[icon.id]) in page
    response = client.get(reverse("media:illustration", args=[icon.id]))
    assert response.status_code == 302 and "X-Amz-Signature" in response["Location"]
    login_as(world.parent_b)
    assert client.get(reverse("media:illustration", args=[icon.id])).status_code == 404
    # A new icon replaces the old one, and its object.
    login_as(world.teacher)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"role": "icon", "file": upload(PNG, "icone2.png")})
    assert Illustration.objects.count() == 1
    assert list(store.list_keys()) == [Illustration.objects.get().key]


def test_non_image_is_refused(world, store, client, login_as):
    item = link_item(world)
    login_as(world.teacher)
    response = client.post(
        reverse("media:add_illustration", args=[item.id]), {"role": "screenshot", "file": upload(PDF, "a.png")}
    )
    assert response.status_code == 302
    assert not Illustration.objects.exists()
    assert list(store.list_keys()) == []
    login_as(world.pupil)
    response = client.post(reverse("media:add_illustration", args=[item.id]), {"role": "icon"})
    assert response.status_code == 403


def test_an_infected_icon_keeps_its_verdict_like_any_scanned_file(world, store):
    import io

    from ent.files import ScanState
    from ent.notify.models import Notification
    from media import actions

    item = link_item(world)
    icon = actions.do_add_illustration(world.teacher, item, upload(PNG, "icone.png"), "icon")
    # The test signatures know INFECTED_PDF: those bytes replace the image's.
    store.put_stream(icon.key, io.BytesIO(INFECTED_PDF), len(INFECTED_PDF))
    actions.do_scan_illustration(icon.id)
    icon.refresh_from_db()
    assert (icon.scan, icon.key) == (ScanState.INFECTED, "")
    assert icon.scan_signature.startswith("Test.Infected.PDF") and icon.scanned_at is not None
    notice = Notification.objects.get(recipient=world.teacher, kind="resource.infected")
    assert notice.object_id == item.id and notice.context["filename"] == "icone.png"
