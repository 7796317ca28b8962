"""Media's writes and the page cache (ent/pagecache.py).

Media's own pages are never cached, and the cached pages (home, homework week,
register, inbox) show no media row: so the one version a media action makes
stale is the unread badge of the people it tells, bumped by ent.notify for it.
Every write action of media is classified below; a new one must be, and if a
cached page ever shows media's rows the action must say what it touches
(`ent.pagecache.bump_after_commit`) and move to the checked list.
"""

import io

import pytest
from django.urls import reverse

from ent.files import ScanState
from media import actions, fdroid, hygiene
from media.models import Fleet, Item, Version
from tests.media.conftest import INFECTED_PDF, PNG, upload
from tests.media.helpers import link_item, propose

pytestmark = pytest.mark.django_db

# Tell someone (ent.notify): that person's cached pages carry the unread badge.
TELLS_SOMEONE = {"do_approve", "do_reject", "do_scan_version", "do_scan_illustration", "do_record_repo_failure"}
# Write only media's rows (or the object store): no cached page reads them.
TOUCHES_NO_CACHED_PAGE = {
    "do_propose_item",
    "do_add_version",
    "do_start_direct_upload",
    "do_finish_direct_upload",
    "do_add_illustration",
    "do_request_repo_build",
    "do_withdraw",
    "do_assign",
    "do_delete_version",
    "do_delete_item",
    "do_create_fleet",
    "do_enrol_tablet",
    "do_revoke_tablet",
    "do_set_fleet_item",
    "do_remove_fleet_item",
}
OTHER_MODULES = {(fdroid, "do_build_fdroid_repo"), (hygiene, "do_sweep_orphans")}


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300


def _cached_home(client):
    url = reverse("home")
    client.get(url)  # sets the CSRF cookie (pages without one are not cached)
    client.get(url)  # rendered and stored
    again = client.get(url)
    assert again.status_code == 200
    assert getattr(again, "served_from_page_cache", False), "the page cache is off in this test"
    return url


def _served_from_cache(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return getattr(response, "served_from_page_cache", False)


def test_every_write_action_is_classified():
    names = {n for n in dir(actions) if n.startswith("do_") and callable(getattr(actions, n))}
    assert names == TELLS_SOMEONE | TOUCHES_NO_CACHED_PAGE
    assert not TELLS_SOMEONE & TOUCHES_NO_CACHED_PAGE
    # The builder and the sweep write only fleets' repository fields and orphans.
    assert all(callable(getattr(module, name)) for module, name in OTHER_MODULES)


def test_media_pages_are_never_served_from_the_page_cache(world, login_as, client, page_cache):
    item = link_item(world)
    fleet = Fleet.objects.create(school=world.school, name="Classe mobile")
    login_as(world.referent)
    _cached_home(client)  # the cache works for this person
    for url in [
        reverse("media:mine"),
        reverse("media:catalogue"),
        reverse("media:item", args=[item.id]),
        reverse("media:fleets"),
        reverse("media:fleet", args=[fleet.id]),
    ]:
        for _ in range(3):
            assert not _served_from_cache(client, url), url


def test_a_write_that_tells_no_one_leaves_the_cached_home_alone(world, login_as, client, page_cache):
    """The check below can fail: the home page stays cached across a media write
    that touches none of its versions."""
    login_as(world.referent)
    url = _cached_home(client)
    actions.do_create_fleet(world.referent, world.school, "Classe mobile")
    assert _served_from_cache(client, url)


@pytest.mark.parametrize("verdict", ["approve", "reject"])
def test_the_told_author_never_gets_a_stale_home(world, login_as, client, page_cache, verdict):
    item = propose(world, kind="link", url="https://fr.wiktionary.org/", title="Dictionnaire")
    login_as(world.teacher)
    url = _cached_home(client)
    if verdict == "approve":
        actions.do_approve(world.referent, item, None)
    else:
        actions.do_reject(world.referent, item, None, "Publicité")
    assert not _served_from_cache(client, url)


def test_the_referents_never_get_a_stale_home_after_a_failed_build(world, login_as, client, page_cache):
    fleet = Fleet.objects.create(school=world.school, name="Classe mobile")
    login_as(world.referent)
    url = _cached_home(client)
    actions.do_record_repo_failure(fleet.id, "fdroid update failed")
    assert not _served_from_cache(client, url)


def test_the_uploader_of_an_infected_version_never_gets_a_stale_home(world, store, login_as, client, page_cache):
    item = propose(world, data=INFECTED_PDF)
    version = item.versions.get()
    login_as(world.teacher)
    url = _cached_home(client)
    actions.do_scan_version(version.id)
    assert Version.objects.get(pk=version.pk).scan == ScanState.INFECTED
    assert not _served_from_cache(client, url)


def test_the_uploader_of_an_infected_image_never_gets_a_stale_home(world, store, login_as, client, page_cache):
    item = Item.objects.get(pk=link_item(world).pk)
    picture = actions.do_add_illustration(world.teacher, item, upload(PNG, "icone.png"), "icon")
    # The test signatures know INFECTED_PDF: those bytes replace the image's.
    store.put_stream(picture.key, io.BytesIO(INFECTED_PDF), len(INFECTED_PDF))
    login_as(world.teacher)
    url = _cached_home(client)
    actions.do_scan_illustration(picture.id)
    picture.refresh_from_db()
    assert picture.scan == ScanState.INFECTED
    assert not _served_from_cache(client, url)
