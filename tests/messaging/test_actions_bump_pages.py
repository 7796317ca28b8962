"""Every messaging action that writes leaves no cached inbox (ent/pagecache.py)
that was rendered before it: the actions bump the scopes themselves (through
their pushes, live.push_on_commit, or pagecache.bump_after_commit), there are no
signal receivers to rely on. A new do_* action must be walked here or listed as
shown on no cached page."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from messaging import actions
from messaging.models import Announcement
from tests.pagecache_checks import cache_page, still_cached, write_actions

pytestmark = pytest.mark.django_db

# The inbox lists conversations (subject, last message, participants, unread
# count, closed or not). Reports and announcements show elsewhere, on pages that
# are never cached; an announcement's notifications bump the badge themselves.
SHOWN_ON_NO_CACHED_PAGE = {
    "do_report_message",
    "do_dismiss_report",
    "do_send_announcement",
    "do_notify_announcement",
    "do_mark_announcement_read",
    "do_confirm_announcement",
    "do_remind_announcement",
}


def _fresh(user):
    # Roles are cached on the user object: each action gets a fresh one.
    return get_user_model().objects.get(pk=user.pk)


def _conversation(world, body="Bonjour"):
    return actions.do_start_conversation(_fresh(world.teacher), [world.guardian.pk], "Sortie", body)


def _last_message(conversation):
    return conversation.messages.order_by("-id").first()


# Each setup makes what its action needs and returns (the reader whose inbox is
# watched, the action). The setup runs before the page is cached.


def _start(world):
    return world.guardian, lambda: _conversation(world)


def _send(world):
    conv = _conversation(world)
    return world.guardian, lambda: actions.do_send_message(_fresh(world.teacher), conv, "Et aussi…")


def _mark_read(world):
    conv = _conversation(world)
    return world.guardian, lambda: actions.do_mark_read(_fresh(world.guardian), conv)


def _archive(world):
    conv = _conversation(world)
    return world.guardian, lambda: actions.do_set_archived(_fresh(world.guardian), conv, True)


def _edit(world):
    conv = _conversation(world)
    message = _last_message(conv)
    return world.guardian, lambda: actions.do_edit_message(_fresh(world.teacher), message, "Bonjour à tous")


def _delete(world):
    conv = _conversation(world)
    message = _last_message(conv)
    return world.guardian, lambda: actions.do_delete_message(_fresh(world.teacher), message)


def _hide(world):
    conv = _conversation(world)
    message = _last_message(conv)
    return world.guardian, lambda: actions.do_hide_message(_fresh(world.direction), message)


def _close(world):
    conv = _conversation(world)
    return world.guardian, lambda: actions.do_close_conversation(_fresh(world.direction), conv)


def _policy(world):
    # Who may write to whom changes every page's "may I write" (part of "dir").
    return world.guardian, lambda: actions.do_set_policy(
        _fresh(world.direction), world.school, pupils_may_write=False, pupils_may_start=False, parents_may_start=True
    )


def _reply(world):
    announcement = actions.do_send_announcement(
        _fresh(world.direction),
        title="Sortie au musée",
        body="Départ à 9 h.",
        audience=Announcement.Audience.CLASS,
        target=world.klass,
    )
    return world.direction, lambda: actions.do_reply_to_announcement(_fresh(world.guardian), announcement, "Merci")


WALKED = {
    "do_start_conversation": _start,
    "do_send_message": _send,
    "do_mark_read": _mark_read,
    "do_set_archived": _archive,
    "do_edit_message": _edit,
    "do_delete_message": _delete,
    "do_hide_message": _hide,
    "do_close_conversation": _close,
    "do_set_policy": _policy,
    "do_reply_to_announcement": _reply,
}


def test_every_write_action_is_walked_or_classified():
    assert write_actions(actions) == set(WALKED) | SHOWN_ON_NO_CACHED_PAGE


@pytest.mark.parametrize("name", sorted(WALKED))
def test_a_write_action_is_never_followed_by_a_stale_inbox(
    world, client, login_as, settings, django_capture_on_commit_callbacks, name
):
    settings.PAGE_CACHE_SECONDS = 300
    with django_capture_on_commit_callbacks(execute=True):
        reader, action = WALKED[name](world)
    login_as(reader)
    url = cache_page(client, reverse("messaging:inbox"))
    with django_capture_on_commit_callbacks(execute=True):
        action()
    assert not still_cached(client, url), f"{name}: a cached inbox was served after it"


def test_the_inbox_stays_cached_when_nothing_changes(world, client, login_as, settings):
    """The check above can fail: without a write, the page is served from the cache."""
    settings.PAGE_CACHE_SECONDS = 300
    _conversation(world)
    login_as(world.guardian)
    url = cache_page(client, reverse("messaging:inbox"))
    assert still_cached(client, url)
