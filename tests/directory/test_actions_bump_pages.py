"""Every directory write leaves no cached page (ent/pagecache.py) rendered
before it, and no person's roles cached under the directory's version: the
writes say so themselves (pagecache.bump_after_commit(pagescopes.bump_directory)),
bulk writes included; the one receiver left is a User's save, for allauth's
saves outside our actions (ent/directory/pagescopes.py). A new do_* action of the
directory must be walked here or listed as shown on no cached page."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import update_last_login
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ent.directory import actions, demo, letters, lifecycle, privacy
from ent.directory.imports import jobs
from ent.directory.models import Enrollment
from ent.directory.roles import compute_roles
from tests.factories import link_guardian, make_user
from tests.imports.samples import onde
from tests.pagecache_checks import cache_page, still_cached, write_actions

pytestmark = pytest.mark.django_db

# Rows no cached page shows (home, homework week, register, inbox): activation
# codes and passwords (the login, never cached), second factors (checked by the
# middleware before any page), closed days (the declaration form only), import
# jobs until applied, letters and exports (their own pages and files).
SHOWN_ON_NO_CACHED_PAGE = {
    (actions, "do_issue_activation_code"),
    (actions, "do_reset_second_factors"),
    (actions, "do_activate_account"),
    (actions, "do_add_closed_day"),
    (actions, "do_delete_closed_day"),
    (jobs, "do_start_import"),
    (jobs, "do_preview_import"),
    (letters, "do_print_letters"),
    (letters, "do_request_school_letters"),
    (letters, "do_build_letter_batch"),
    (privacy, "do_request_data_export"),
    (privacy, "do_build_data_export"),
    # Logs, audit entries, used codes and expired sessions.
    (privacy, "purge_old_records"),
}
MODULES = (actions, lifecycle, jobs, letters, privacy)


def _fresh(user):
    # Roles are kept on the user object: each action and check gets a fresh one.
    return get_user_model().objects.get(pk=user.pk)


# Each setup makes what its action needs and returns (the reader whose home is
# watched, the action). It runs before the page is cached: only the action may
# make it stale.


def _block(world, **_):
    return world.guardian, lambda: lifecycle.do_set_accounts_active(
        [world.guardian2], active=False, by=world.direction, school=world.school
    )


def _unblock(world, **_):
    lifecycle.do_set_accounts_active([world.guardian2], active=False, by=world.direction, school=world.school)
    return world.guardian, lambda: lifecycle.do_set_accounts_active(
        [world.guardian2], active=True, by=world.direction, school=world.school
    )


def _departure(world, **_):
    return world.guardian, lambda: lifecycle.do_record_departure(world.pupil, school=world.school, by=world.direction)


def _merge(world, **_):
    twin = make_user("parent_t_bis", first_name="Sophie", last_name="Martin")
    link_guardian(twin, world.outsider_pupil)
    return world.guardian, lambda: lifecycle.do_merge_accounts(_fresh(world.guardian), twin, by=world.direction)


def _rollover(world, **_):
    return world.pupil, lambda: lifecycle.do_rollover(world.school, by=world.direction)


def _import(world, capture, **_):
    """An ONDE file for the primary school: preview first (setup), then the apply
    the office confirms (its task runs eagerly at commit)."""
    school = world.school_b
    upload = SimpleUploadedFile("export.csv", onde(), content_type="text/csv")
    with capture(execute=True):
        job = jobs.do_start_import(school, by=world.staff_b, upload=upload, kind="pupils", scope="classes")
    job.refresh_from_db()
    assert job.can_apply, job.errors

    def apply():
        jobs.do_request_apply(job, by=world.staff_b)

    return world.parent_b, apply


def _purge(world, **_):
    # The other family's child left long ago: the child and parent go.
    Enrollment.objects.filter(pupil=world.outsider_pupil).update(left_on=datetime.date(2020, 7, 4))
    return world.guardian, lambda: privacy.purge_departed_accounts()


def _seed_demo(world, **_):
    return world.guardian, lambda: demo.write_directory()


WALKED = {
    (lifecycle, "do_set_accounts_active"): _block,
    (lifecycle, "do_record_departure"): _departure,
    (lifecycle, "do_merge_accounts"): _merge,
    (lifecycle, "do_rollover"): _rollover,
    (jobs, "do_request_apply"): _import,  # and do_apply_import, its task
    (privacy, "purge_departed_accounts"): _purge,
    (demo, "write_directory"): _seed_demo,
}
# Walked through another entry: the apply task of an import.
WALKED_BY = {(jobs, "do_apply_import"): (jobs, "do_request_apply")}
CASES = {f"{module.__name__.rsplit('.', 1)[-1]}.{name}": setup for (module, name), setup in WALKED.items()}
CASES["lifecycle.do_set_accounts_active(unblock)"] = _unblock


def test_every_write_action_is_walked_or_classified():
    found = {(module, name) for module in MODULES for name in write_actions(module, defined_here=True)}
    known = set(WALKED) | set(WALKED_BY) | SHOWN_ON_NO_CACHED_PAGE
    assert found <= known, f"not walked, not classified: {sorted(n for _m, n in found - known)}"
    assert all(callable(getattr(module, name)) for module, name in known)


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300
    # The signed-in person's row and roles cached, as in production (with Redis
    # the test settings do so already; without it, locmem is one process).
    settings.AUTH_USER_CACHE_SECONDS = 300


def _roles_are_current(user, settings):
    cached = compute_roles(_fresh(user))
    ttl, settings.AUTH_USER_CACHE_SECONDS = settings.AUTH_USER_CACHE_SECONDS, 0
    try:
        live = compute_roles(_fresh(user))
    finally:
        settings.AUTH_USER_CACHE_SECONDS = ttl
    return cached == live


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_directory_write_is_never_followed_by_a_stale_page(
    world, client, login_as, page_cache, settings, django_capture_on_commit_callbacks, s3, case
):
    with django_capture_on_commit_callbacks(execute=True):
        reader, action = CASES[case](world, capture=django_capture_on_commit_callbacks)
    login_as(reader)
    url = cache_page(client, reverse("home"))  # the reader's roles are cached too
    with django_capture_on_commit_callbacks(execute=True):
        action()
    assert not still_cached(client, url), f"{case}: a cached page was served after it"
    assert _roles_are_current(reader, settings), f"{case}: the reader's cached roles outlived it"


def test_the_departure_reaches_the_guardians_roles(world, client, login_as, page_cache, settings):
    """The check above means something: the cached roles did change."""
    login_as(world.guardian)
    cache_page(client, reverse("home"))
    assert world.pupil.pk in compute_roles(_fresh(world.guardian)).child_ids
    lifecycle.do_record_departure(world.pupil, school=world.school, by=world.direction)
    assert world.pupil.pk not in compute_roles(_fresh(world.guardian)).child_ids


def test_a_page_stays_cached_when_nothing_changes(world, client, login_as, page_cache):
    """The checks here can fail: without a write, the page is served from the cache."""
    login_as(world.guardian)
    url = cache_page(client, reverse("home"))
    assert still_cached(client, url)


def test_a_write_the_pages_do_not_show_leaves_them_cached(world, client, login_as, page_cache):
    login_as(world.guardian)
    url = cache_page(client, reverse("home"))
    actions.do_issue_activation_code(world.guardian2, by=world.direction)
    assert still_cached(client, url)


def test_a_closed_day_redraws_the_homes(world, client, login_as, page_cache):
    """A closed day takes the day's lessons off the homes ("Ma journée"), so it
    bumps the school's timetable version and the homes' (tests/timetable/
    test_home_day.py: the lessons go and come back)."""
    login_as(world.guardian)
    url = cache_page(client, reverse("home"))
    actions.do_add_closed_day(world.school, first=timezone.localdate(), label="Pont")
    assert not still_cached(client, url)


# --- The one receiver: a User saved outside our actions ---------------------------


def test_a_person_saved_outside_the_actions_is_never_shown_stale(world, client, login_as, page_cache):
    """allauth saves the User itself (e.g. the names filled at a federated
    sign-up, an address made primary): the receiver bumps for it."""
    login_as(world.guardian)
    url = cache_page(client, reverse("home"))
    guardian = _fresh(world.guardian)
    guardian.first_name = "Sophia"
    guardian.save()
    page = client.get(url)
    assert not getattr(page, "served_from_page_cache", False)
    assert "Sophia" in page.content.decode()


def test_a_login_stamp_or_a_new_password_bumps_nothing(world, client, login_as, page_cache):
    """Each login saves last_login (and a password change, the password): no page
    shows either, and bumping "dir" for them would empty every cache at each login."""
    login_as(world.guardian)
    url = cache_page(client, reverse("home"))
    other = _fresh(world.guardian2)
    update_last_login(None, other)
    other.set_password("another-pass-1234")
    other.save(update_fields=["password"])
    assert still_cached(client, url)


# --- The signed-in person's cached row -----------------------------------------------


def test_a_blocked_person_is_not_served_from_the_cached_row(world, client, login_as, page_cache):
    login_as(world.guardian2)
    cache_page(client, reverse("home"))  # their row is cached by get_user
    lifecycle.do_set_accounts_active([world.guardian2], active=False, by=world.direction, school=world.school)
    login_as(world.guardian2)  # even a session made afresh
    # The row cached before the block said "active": it was forgotten.
    assert client.get(reverse("home")).status_code == 302


def test_a_merged_duplicate_is_not_served_from_the_cached_row(world, client, login_as, page_cache):
    twin = make_user("parent_t_bis", first_name="Sophie", last_name="Martin")
    login_as(twin)
    client.get(reverse("home"))
    client.get(reverse("home"))  # their row is in the cache
    lifecycle.do_merge_accounts(_fresh(world.guardian), twin, by=world.direction)
    assert client.get(reverse("home")).status_code == 302  # blocked: signed out
