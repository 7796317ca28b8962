"""Icons and screenshots: scanned, then shown to whoever sees the item."""

import pytest
from django.urls import reverse

from media.models import Illustration
from tests.media.conftest import PDF, PNG, upload
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
