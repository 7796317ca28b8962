"""What one sign-in costs the server, pinned in queries (issue #25): the form,
the POST of the credentials and the landing home page, as a browser does them.

Why queries and not time: a regression (a query per open session, a second session
write, the signed-in person or the roles read twice) shows here on any
machine; the CPU per login itself is measured by bench/login_bench.py's
profile mode (`python -m bench.login_bench profile N`)."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")


@pytest.fixture(autouse=True)
def _cold_cache():
    # Monday 8 a.m.: nothing of this person is cached yet.
    cache.clear()
    yield
    cache.clear()


def _budget():
    """The pinned counts per step. With Redis (CI, production) sessions are
    cached_db and the signed-in person is cached: the login leaves its row in
    the cache, so the landing page reads only the roles, the unread count and
    the page's own rows.

    The POST (7; 17 before session 9, 20 on another device): the person, their
    second factors, the last-login stamp, the device listed in one UPSERT
    (ent/directory/sessions.py: allauth's receiver walked every open session
    of the person then ran a get_or_create), the session INSERTed once
    (ent/directory/session_engines: no SELECT of the key, no UPDATE after), and
    the savepoint around it. Signing in again on another device costs the same:
    the devices already signed in are not read.

    The home (6; 4 before the timetable, 7 until its day was kept): its "Ma
    journée" part looks once per school whether it has a timetable at all (kept
    until the school's timetable changes; these schools have none, so no lesson
    is read), and for a parent the chosen child's classes come from the
    parent's roles, not from a second roles query (ent/timetable/lessons.py
    day_for_home)."""
    post = 7
    if settings.AUTH_USER_CACHE_SECONDS:
        return {"form": 1, "post": post, "home": 6}
    return {"form": 1, "post": post, "home": 9}


def _sign_in(client, username, assert_max_queries, on_commit):
    budget = _budget()
    with assert_max_queries(budget["form"]):
        assert client.get(LOGIN).status_code == 200
    # As in production (autocommit): what the login schedules after commit runs.
    with assert_max_queries(budget["post"]), on_commit(execute=True):
        response = client.post(LOGIN, {"login": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    with assert_max_queries(budget["home"]):
        home = client.get(response.url)
    assert home.status_code == 200
    return home


@pytest.mark.parametrize("who", ["guardian", "pupil", "teacher"])
def test_a_first_sign_in_costs_a_fixed_number_of_queries(
    client, world, who, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    person = getattr(world, who)
    home = _sign_in(client, person.username, django_assert_max_num_queries, django_capture_on_commit_callbacks)
    assert int(client.session["_auth_user_id"]) == person.pk
    assert person.first_name in home.content.decode()


def test_signing_in_again_on_another_device_costs_the_same(
    client, world, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    first = Client()
    _sign_in(first, world.guardian.username, django_assert_max_num_queries, django_capture_on_commit_callbacks)
    cache.clear()
    _sign_in(client, world.guardian.username, django_assert_max_num_queries, django_capture_on_commit_callbacks)
    # Both devices stay signed in (no session was cut to save a query).
    assert first.get(reverse("home")).status_code == 200


def test_a_wrong_password_costs_no_more_than_a_sign_in(client, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(_budget()["post"]):
        response = client.post(LOGIN, {"login": world.guardian.username, "password": "not-the-password"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
