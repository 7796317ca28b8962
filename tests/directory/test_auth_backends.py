"""The signed-in person read from the cache (ent/directory/auth_backends.py):
no query once cached, and never stale after a change of their row."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.cache import cache
from django.urls import reverse

from ent.directory import lifecycle
from ent.directory.auth_backends import DEFAULT_BACKEND, CachedModelBackend, forget_users
from ent.directory.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_cache(settings):
    settings.AUTH_USER_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def test_second_read_of_a_person_costs_no_query(world, user_cache, django_assert_num_queries):
    backend = CachedModelBackend()
    with django_assert_num_queries(1):
        assert backend.get_user(world.guardian.pk) == world.guardian
    with django_assert_num_queries(0):
        user = backend.get_user(world.guardian.pk)
    assert user == world.guardian
    assert user.username == world.guardian.username


def test_cache_off_reads_the_database_each_time(world, settings, django_assert_num_queries):
    settings.AUTH_USER_CACHE_SECONDS = 0
    backend = CachedModelBackend()
    backend.get_user(world.guardian.pk)
    with django_assert_num_queries(1):
        backend.get_user(world.guardian.pk)


def test_unknown_or_malformed_ids_are_nobody(world, user_cache):
    backend = CachedModelBackend()
    assert backend.get_user(10**9) is None
    assert backend.get_user("not-a-number") is None
    assert backend.get_user(None) is None


def test_logins_record_the_caching_backend(world, client):
    response = client.post(reverse("account_login"), {"login": "parent_t", "password": "correct-horse-battery-9"})
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY].startswith("ent.directory.auth_backends.")


def test_a_saved_change_is_seen_at_the_next_request(world, user_cache, client, login_as):
    login_as(world.guardian)
    assert client.get(reverse("home")).status_code == 200  # cached now
    world.guardian.first_name = "Renommée"
    world.guardian.save()
    assert CachedModelBackend().get_user(world.guardian.pk).first_name == "Renommée"


def test_a_password_change_ends_other_sessions_at_once(world, user_cache, client, login_as):
    login_as(world.guardian)
    assert client.get(reverse("home")).status_code == 200
    guardian = User.objects.get(pk=world.guardian.pk)
    guardian.set_password("another-horse-battery-7")
    guardian.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_blocked_account_stops_at_its_next_request(world, user_cache, client, login_as):
    # Blocking is a bulk update (no signal): it forgets the cached rows itself.
    login_as(world.guardian)
    assert client.get(reverse("home")).status_code == 200
    assert CachedModelBackend().get_user(world.guardian.pk) is not None
    lifecycle.do_set_accounts_active([world.guardian], active=False, by=world.direction)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_deleted_person_is_forgotten(world, user_cache):
    backend = CachedModelBackend()
    pk = world.outsider_pupil.pk
    assert backend.get_user(pk) is not None
    User.objects.get(pk=pk).delete()
    assert backend.get_user(pk) is None


def test_forget_inside_a_transaction_also_forgets_after_commit(world, user_cache, django_capture_on_commit_callbacks):
    backend = CachedModelBackend()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        forget_users([world.guardian.pk])
        # A reader between the write and the commit caches the old row again...
        backend.get_user(world.guardian.pk)
    assert len(callbacks) == 1
    User.objects.filter(pk=world.guardian.pk).update(first_name="Après")
    callbacks[0]()  # ...and the commit forgets it.
    assert backend.get_user(world.guardian.pk).first_name == "Après"


def test_default_backend_is_configured(settings):
    assert DEFAULT_BACKEND in settings.AUTHENTICATION_BACKENDS


def test_a_login_leaves_the_row_it_stamped_in_the_cache(
    world, user_cache, client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from ent.directory.auth_backends import _key

    before = User.objects.get(pk=world.guardian.pk).last_login
    # In the order they were scheduled: the forget of the last_login save, then the cached row.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_login"), {"login": "parent_t", "password": "correct-horse-battery-9"})
    assert response.status_code == 302
    cached = cache.get(_key(world.guardian.pk))
    stored = User.objects.get(pk=world.guardian.pk)
    assert cached is not None and cached.last_login == stored.last_login != before
    assert cached.password == stored.password
    # A plain row, as get_user reads it: nothing computed during the login rides along.
    assert "roles" not in vars(cached) and not hasattr(cached, "backend")
    with django_assert_num_queries(0):
        assert CachedModelBackend().get_user(world.guardian.pk) == stored


def test_a_block_right_after_login_still_stops_the_next_request(
    world, user_cache, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_login"), {"login": "parent_t", "password": "correct-horse-battery-9"})
    assert response.status_code == 302
    lifecycle.do_set_accounts_active([world.guardian], active=False, by=world.direction)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_without_the_cache_a_login_stores_nothing(world, settings, client, django_capture_on_commit_callbacks):
    from ent.directory.auth_backends import _key

    settings.AUTH_USER_CACHE_SECONDS = 0
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_login"), {"login": "parent_t", "password": "correct-horse-battery-9"})
    assert response.status_code == 302
    assert cache.get(_key(world.guardian.pk)) is None
