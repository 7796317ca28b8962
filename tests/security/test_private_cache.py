"""Signed-in responses are never kept by a browser or a proxy (issue 24, item 2):
`Cache-Control: private, no-store` on every route of the access matrix for a
signed-in person; anonymous pages and static files keep their own caching; a page
replayed from the server's page cache (ent/pagecache.py) carries it too."""

import copy

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.security.matrix import LOGIN, MATRIX

pytestmark = pytest.mark.django_db


def _no_store(response) -> bool:
    directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives and "public" not in directives


def _signed_in_persona(route):
    """Someone the route serves (not a 404/403), else any signed-in persona."""
    signed_in = [p for p in route.expected if p != "anonymous"]
    served = [p for p in signed_in if route.expected[p] not in (404, 403, LOGIN, None)]
    return (served or signed_in)[0]


def test_every_route_of_the_matrix_answers_a_signed_in_person_with_private_no_store(world, client, login_as):
    people = world.personas()
    wrong = []
    for name, route in sorted(MATRIX.items()):
        # Each route on the same rows as they were (rolled back after it), and a
        # copy of the world: the matrix's helpers remember the rows they made on it.
        with transaction.atomic():
            w = copy.copy(world)
            client.logout()
            login_as(people[_signed_in_persona(route)])
            url = reverse(name, kwargs=route.kwargs(w))
            response = getattr(client, route.method)(url, route.data(w), **route.extra)
            transaction.set_rollback(True)
        # A route that signs the person out (logout, sign out everywhere) answers
        # an anonymous browser: nothing personal is left to keep.
        if not _no_store(response) and response.wsgi_request.user.is_authenticated:
            wrong.append(f"{name} ({response.status_code}): {response.headers.get('Cache-Control')!r}")
    assert not wrong, "signed-in responses without private, no-store:\n" + "\n".join(wrong)


def test_a_404_for_a_signed_in_person_is_not_stored_either(world, client, login_as):
    login_as(world.outsider_parent)
    response = client.get(reverse("pupil_detail", kwargs={"pupil_id": world.pupil.id}))
    assert response.status_code == 404
    assert _no_store(response)


def test_anonymous_pages_and_static_files_are_left_alone(client):
    page = client.get(reverse("activate"))
    assert page.status_code == 200
    assert "Cache-Control" not in page.headers
    static = client.get("/static/ent/ent.css")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_a_page_served_from_the_page_cache_carries_the_header(world, client, login_as):
    login_as(world.guardian)
    url = reverse("home")
    client.get(url)  # sets the CSRF cookie the page cache needs
    with CaptureQueriesContext(connection) as rendered:
        first = client.get(url)
    with CaptureQueriesContext(connection) as replayed:
        second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert len(replayed) < len(rendered)  # the second one came from the page cache
    assert _no_store(first) and _no_store(second)
    assert first.content == second.content
