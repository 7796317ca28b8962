"""The person's roles come from the cache while the directory's version ("dir")
is the one they were computed under: no SQL on a hit, and any directory write
(through an action or the admin, which say what they touch) makes the next read
fresh. A factory's write tells no one: the writes below go through the admin."""

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.test import RequestFactory

from ent.directory.models import Guardianship, StaffRole, User
from ent.directory.roles import compute_roles
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.AUTH_USER_CACHE_SECONDS = 300


def _fresh(user):
    return User.objects.get(pk=user.pk)  # a new request's user: no cached_property


def test_a_hit_runs_no_query(world, cached, django_assert_num_queries):
    first = compute_roles(_fresh(world.guardian))
    assert world.pupil.id in first.child_ids
    with django_assert_num_queries(0):
        again = compute_roles(world.guardian)
    assert again == first


def _admin_request(world):
    request = RequestFactory().post("/admin/")
    request.user = world.admin
    return request


def test_a_new_link_is_seen_at_once(world, cached):
    parent = make_user("nouveau_parent_t")
    assert not compute_roles(_fresh(parent)).is_parent
    link = Guardianship(guardian=parent, pupil=world.pupil)
    admin.site.get_model_admin(Guardianship).save_model(_admin_request(world), link, None, False)
    assert world.pupil.id in compute_roles(_fresh(parent)).child_ids


def test_a_removed_role_is_seen_at_once(world, cached):
    assert compute_roles(_fresh(world.vie_scolaire)).is_staff
    roles = StaffRole.objects.filter(user=world.vie_scolaire)
    admin.site.get_model_admin(StaffRole).delete_queryset(_admin_request(world), roles)
    assert not compute_roles(_fresh(world.vie_scolaire)).is_staff


def test_a_bulk_write_that_bumps_dir_is_seen(world, cached):
    from ent import pagecache

    assert world.pupil.id in compute_roles(_fresh(world.guardian)).justify_child_ids
    # .update() sends no signal: the writer says what it touched.
    Guardianship.objects.filter(guardian=world.guardian).update(may_justify_absences=False)
    pagecache.bump(pagecache.DIRECTORY)
    assert world.pupil.id not in compute_roles(_fresh(world.guardian)).justify_child_ids


def test_a_lost_version_never_serves_old_roles(world, cached, django_assert_num_queries):
    """Redis evicted the version: a fresh token is drawn, and the roles stored
    under the old one are not served (the roles query runs again)."""
    from ent import pagecache

    compute_roles(world.teacher)
    cache.delete(pagecache.SCOPE_PREFIX + pagecache.DIRECTORY)
    with django_assert_num_queries(1):
        assert compute_roles(world.teacher).is_teacher


def test_off_means_the_database_every_time(world, settings, django_assert_num_queries):
    settings.AUTH_USER_CACHE_SECONDS = 0
    compute_roles(world.teacher)
    with django_assert_num_queries(1):
        assert compute_roles(world.teacher).is_teacher
