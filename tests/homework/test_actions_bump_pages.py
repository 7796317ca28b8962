"""Every homework action that writes leaves no cached week page (ent/pagecache.py)
that was rendered before it: the actions bump the scopes themselves
(pagecache.bump_after_commit), there are no signal receivers to rely on.
A new do_* action must be walked here or listed as shown on no cached page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from ent import files
from homework import actions
from homework.access import Target
from homework.models import Attachment, Entry
from tests.homework.conftest import make_entry, pdf_upload
from tests.pagecache_checks import cache_page, still_cached, write_actions

pytestmark = pytest.mark.django_db

# Their writes show on no cached page: the week lists entries, their attachments
# and the pupil's ticks (hand-ins, visas, archives and feeds are on pages that
# are never cached; announcements and reminders tell people through notify(),
# which bumps the badge itself; the sweep only removes stored objects).
SHOWN_ON_NO_CACHED_PAGE = {
    "do_announce_entry",
    "do_send_due_reminders",
    "do_hand_in",
    "do_put_visa",
    "do_request_archive",
    "do_build_archive",
    "do_regenerate_feed",
    "do_revoke_feed",
    "do_sweep_orphans",
}


@pytest.fixture
def cached(settings, login_as, client, world):
    """After `cached(person)`, that person's week is in the page cache; the
    returned check fails if the next request is still served from it."""
    settings.PAGE_CACHE_SECONDS = 300

    def watch(person):
        login_as(person)
        url = cache_page(client, reverse("homework:week"))

        def is_stale():
            return not still_cached(client, url)

        return is_stale

    return watch


def _fields(world, **overrides):
    return {
        "kind": Entry.Kind.WORK,
        "subject": world.subject,
        "title": "Lire le chapitre 3",
        "instructions": "",
        "work_type": Entry.WorkType.HOMEWORK,
        "given_on": timezone.localdate(),
        "due_on": timezone.localdate() + datetime.timedelta(days=2),
        "publish_at": None,
        "minutes": 30,
        "hand_in": False,
        **overrides,
    }


# Each setup makes what its action needs and returns the action. The setup runs
# before the page is cached: only the action may make it stale.


def _create(world):
    return lambda: actions.do_create_entry(world.teacher, Target(school_class=world.klass), _fields(world))


def _update(world):
    entry = make_entry(world)
    return lambda: actions.do_update_entry(world.teacher, entry, _fields(world, title="Autre titre"))


def _delete(world):
    entry = make_entry(world)
    return lambda: actions.do_delete_entry(world.teacher, entry)


def _copy(world):
    # From the group to the class: the copy is what the class's families see.
    entry = make_entry(world, target=world.group)
    return lambda: actions.do_copy_entry(world.teacher, entry, Target(school_class=world.klass))


def _tick(world):
    entry = make_entry(world)
    return lambda: actions.do_tick(world.pupil, entry, True)


WALKED = {
    "do_create_entry": _create,
    "do_update_entry": _update,
    "do_delete_entry": _delete,
    "do_copy_entry": _copy,
    "do_tick": _tick,
}


def test_every_write_action_is_walked_or_classified():
    assert write_actions(actions) == set(WALKED) | SHOWN_ON_NO_CACHED_PAGE


@pytest.mark.parametrize("reader", ["pupil", "guardian"])
@pytest.mark.parametrize("name", sorted(WALKED))
def test_a_write_action_is_never_followed_by_a_stale_week(
    world, cached, django_capture_on_commit_callbacks, name, reader
):
    action = WALKED[name](world)
    is_stale = cached(getattr(world, reader))
    with django_capture_on_commit_callbacks(execute=True):
        action()
    assert is_stale(), f"{name}: the {reader}'s cached week was served after it"


def test_the_week_stays_cached_when_nothing_changes(world, cached):
    """The check above can fail: without a write, the page is served from the cache."""
    is_stale = cached(world.pupil)
    assert not is_stale()


def test_an_antivirus_verdict_is_never_followed_by_a_stale_week(
    world, cached, django_capture_on_commit_callbacks, s3, monkeypatch
):
    monkeypatch.setattr(files, "queue_scan", lambda surface, pk: None)  # the verdict below is the scan's
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_create_entry(world.teacher, Target(school_class=world.klass), _fields(world), uploads=[pdf_upload()])
    attachment = Attachment.objects.get()
    assert attachment.scan == files.ScanState.HELD
    is_stale = cached(world.pupil)
    with django_capture_on_commit_callbacks(execute=True):
        files.record_verdict(files.HOMEWORK_ATTACHMENT, attachment.pk, clean=True)
    assert is_stale(), "the week still showed the attachment as being checked"
