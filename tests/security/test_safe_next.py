"""Every view that reads `next` sends only to a path of this site, else to its
safe default, and the change itself is made (issue 24, item 4). One helper for
all of them: ent.http.safe_next."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from ent.http import safe_next
from homework.models import Done
from tests.homework.conftest import make_entry

pytestmark = pytest.mark.django_db

HOSTILE = [
    "foo",
    "//evil.example/",
    "https:evil.example",
    "/\\evil.example",
    "",
    "https://evil.example/",
    "http://evil.example",
    "javascript:alert(1)",
    "\\\\evil.example",
    " //evil.example",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_the_helper_falls_back(target):
    request = RequestFactory().post("/", {"next": target})
    assert safe_next(request, "home") == reverse("home")


def test_the_helper_keeps_a_path_of_ours():
    request = RequestFactory().post("/", {"next": "/cahier/semaine/?semaine=2026-10-05#entry-3"})
    assert safe_next(request, "home") == "/cahier/semaine/?semaine=2026-10-05#entry-3"
    on_https = RequestFactory().post("/", {"next": "http://testserver/cahier/"}, secure=True)
    assert safe_next(on_https, "home") == reverse("home")


@pytest.mark.parametrize("target", HOSTILE)
def test_child_switch(target, world, client, login_as):
    login_as(world.guardian)
    response = client.post(reverse("select_child"), {"child": world.sibling.id, "next": target})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.session["child_id"] == world.sibling.id


def test_child_switch_goes_back_to_the_page(world, client, login_as):
    login_as(world.guardian)
    response = client.post(reverse("select_child"), {"child": world.sibling.id, "next": "/absences/"})
    assert response.status_code == 302 and response.url == "/absences/"


@pytest.mark.parametrize("target", HOSTILE)
def test_homework_tick(target, world, client, login_as):
    entry = make_entry(world)
    login_as(world.pupil)
    response = client.post(reverse("homework:tick", args=[entry.id]), {"done": "1", "next": target})
    assert response.status_code == 302
    assert response.url == reverse("homework:week") + f"#entry-{entry.id}"
    assert Done.objects.filter(entry=entry, pupil=world.pupil).exists()  # the tick is saved
