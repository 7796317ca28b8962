"""The API's read cache (ent/api/readcache.py): a repeat read costs no query, and
every write through a page, an action or the API shows at the next read; access
and revocation are never skipped."""

import datetime
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ent import pagecache
from ent.api.actions import do_create_token, do_revoke_token
from homework import pagescopes
from homework.actions import do_tick
from messaging import actions as messaging_actions
from tests.api.test_endpoints import _monday, _work_this_week
from tests.security.matrix_homework import _entry
from tests.security.matrix_messaging import _rows

pytestmark = pytest.mark.django_db
WEEK = "/api/v1/homework/week"
CONVERSATIONS = "/api/v1/conversations"


def _auth(user):
    _token, secret = do_create_token(user, "app")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_repeat_read_of_the_week_costs_no_query_and_a_304_neither(world, client):
    _entry(world)
    auth = _auth(world.pupil)
    client.get(WEEK, **auth)
    first = client.get(WEEK, **auth)  # the token's row re-read once after its first use is noted
    with CaptureQueriesContext(connection) as captured:
        again = client.get(WEEK, **auth)
        not_modified = client.get(WEEK, HTTP_IF_NONE_MATCH=first["ETag"], **auth)
    assert len(captured) == 0, [q["sql"] for q in captured]
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert "Authorization" in again["Vary"]


def test_a_tick_through_the_page_or_the_action_shows_at_the_next_api_read(world, client, login_as):
    entry = _entry(world)
    auth = _auth(world.pupil)
    assert [w["done"] for w in client.get(WEEK, **auth).json()["work"]] == [False]
    login_as(world.pupil)
    assert client.post(reverse("homework:tick", args=[entry.id]), {"done": "1"}).status_code == 302
    client.logout()
    assert [w["done"] for w in client.get(WEEK, **auth).json()["work"]] == [True]
    do_tick(world.pupil, entry, False)
    assert [w["done"] for w in client.get(WEEK, **auth).json()["work"]] == [False]


def test_new_homework_shows_to_the_parent_and_another_family_still_gets_404(world, client):
    _entry(world)
    url = f"{WEEK}?child={world.pupil.id}&week={_monday().isoformat()}"
    mine, other = _auth(world.guardian), _auth(world.outsider_parent)
    assert len(client.get(url, **mine).json()["work"]) == 1
    assert client.get(url, **other).status_code == 404
    # Written as the diary's actions do: they bump the families who see it.
    extra = _work_this_week(world, "Nouveau")
    pagecache.bump_after_commit(pagescopes.bump_entry, extra)
    assert len(client.get(url, **mine).json()["work"]) == 2
    assert client.get(url, **other).status_code == 404


def test_a_week_with_a_scheduled_entry_is_kept_no_longer_than_its_publication(world, client):
    entry = _work_this_week(world, "Plus tard")
    # The cache's clock is Redis's: a real wait, kept short.
    publish_at = timezone.now() + datetime.timedelta(seconds=2)
    type(entry).objects.filter(id=entry.id).update(publish_at=publish_at)
    pagecache.bump_after_commit(pagescopes.bump_entry, entry)
    auth = _auth(world.pupil)
    assert client.get(WEEK, **auth).json()["work"] == []
    time.sleep(2.5)
    assert [w["title"] for w in client.get(WEEK, **auth).json()["work"]] == ["Plus tard"]


def test_a_message_sent_shows_in_the_api_inbox_and_a_revoked_token_stops_at_once(world, client):
    conversation = _rows(world)["conversation"]
    token, secret = do_create_token(world.guardian, "app")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get(CONVERSATIONS, **auth).json()["items"][0]["unread"] == 2
    client.get(CONVERSATIONS, **auth)  # cached
    messaging_actions.do_send_message(world.teacher, conversation, "Encore un mot")
    assert client.get(CONVERSATIONS, **auth).json()["items"][0]["unread"] == 3
    read = client.post(f"/api/v1/conversations/{conversation.id}/read", **auth)
    assert read.status_code == 200
    assert client.get(CONVERSATIONS, **auth).json()["items"][0]["unread"] == 0
    do_revoke_token(world.guardian, token)
    assert client.get(CONVERSATIONS, **auth).status_code == 401


def test_the_cache_is_per_person_and_query(world, client):
    _rows(world)
    guardian, outsider = _auth(world.guardian), _auth(world.outsider_parent)
    assert client.get(CONVERSATIONS, **guardian).json()["count"] == 1
    assert client.get(CONVERSATIONS, **outsider).json()["count"] == 0
    assert client.get(f"{CONVERSATIONS}?archived=true", **guardian).json()["count"] == 0
