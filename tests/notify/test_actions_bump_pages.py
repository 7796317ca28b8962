"""Every write of ent/notify that changes the unread badge (in every cached page)
leaves no cached page that was rendered before it: notify(), the "mark read"
actions and the retention purge bump the badge themselves
(pagecache.bump_after_commit); there is no signal receiver to rely on. A new
do_* action must be walked here or listed as shown on no cached page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from ent.notify import actions, privacy
from ent.notify.api import notify
from ent.notify.kinds import KINDS
from ent.notify.models import Notification
from tests.pagecache_checks import cache_page, still_cached, write_actions

pytestmark = pytest.mark.django_db

# Preferences, deliveries (emails, SMS, pushes) and push subscriptions (listed on
# "Mes appareils", never cached) show on no cached page.
SHOWN_ON_NO_CACHED_PAGE = {
    "do_save_preferences",
    "do_send_delivery",
    "do_send_digest",
    "do_subscribe_webpush",
    "do_unsubscribe_webpush",
}


def _notify(world):
    notify([world.guardian], next(iter(KINDS)), context={})
    return Notification.objects.filter(recipient=world.guardian).order_by("-pk").first()


# Each setup makes what its write needs and returns the write; it runs before
# the page is cached.


def _notify_setup(world):
    return lambda: _notify(world)


def _mark_read(world):
    notification = _notify(world)
    return lambda: actions.do_mark_read(world.guardian, notification)


def _mark_all_read(world):
    _notify(world)
    return lambda: actions.do_mark_all_read(world.guardian)


def _purge(world):
    notification = _notify(world)
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - datetime.timedelta(days=400))
    return lambda: privacy.purge(timezone.now() - datetime.timedelta(days=365), dry_run=False)


WALKED = {
    "notify": _notify_setup,
    "do_mark_read": _mark_read,
    "do_mark_all_read": _mark_all_read,
    "purge": _purge,
}


def test_every_write_action_is_walked_or_classified():
    assert write_actions(actions) == (set(WALKED) - {"notify", "purge"}) | SHOWN_ON_NO_CACHED_PAGE


@pytest.mark.parametrize("name", sorted(WALKED))
def test_a_write_is_never_followed_by_a_stale_badge(
    world, client, login_as, settings, django_capture_on_commit_callbacks, name
):
    settings.PAGE_CACHE_SECONDS = 300
    with django_capture_on_commit_callbacks(execute=True):
        write = WALKED[name](world)
    login_as(world.guardian)
    url = cache_page(client, reverse("home"))
    with django_capture_on_commit_callbacks(execute=True):
        write()
    assert not still_cached(client, url), f"{name}: a cached page was served after it"


def test_a_page_stays_cached_when_nothing_changes(world, client, login_as, settings):
    """The check above can fail: without a write, the page is served from the cache."""
    settings.PAGE_CACHE_SECONDS = 300
    login_as(world.guardian)
    url = cache_page(client, reverse("home"))
    assert still_cached(client, url)
