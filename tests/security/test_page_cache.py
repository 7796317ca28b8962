"""The whole-page cache (ent/pagecache.py): a repeat view is served without
rendering, never to anyone else, and every kind of write replaces the pages it
changes. "Fresh" is checked against what the view renders now with the cache
off, so a stale page fails whatever it shows."""

import datetime
import re
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ent import pagecache
from ent.directory import lifecycle
from ent.notify import actions as notify_actions
from ent.notify.api import notify
from homework import actions as homework_actions
from homework.access import Target
from homework.models import Attachment, Done, Entry
from messaging import actions as messaging_actions
from tests.homework.conftest import make_entry

pytestmark = pytest.mark.django_db

_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def _login(user, login_as):
    client = login_as(user, the_client=Client())
    return client


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(ctx.captured_queries)


def _warm(client, url):
    """The first visit sets the CSRF cookie (no cookie: no caching), the second
    stores the page, the third must be a hit."""
    client.get(url)
    client.get(url)
    response = client.get(url)
    assert response.status_code == 200
    assert response.context is None, "the third visit should come from the page cache"
    return response


def assert_fresh(client, url, settings):
    cached = client.get(url)
    settings.PAGE_CACHE_SECONDS = 0
    try:
        live = client.get(url)
    finally:
        settings.PAGE_CACHE_SECONDS = 300
    assert cached.status_code == live.status_code == 200
    # Each render masks the CSRF secret afresh: compare the rest.
    assert _TOKEN.sub(b"", cached.content) == _TOKEN.sub(b"", live.content)
    return cached


# --- Serving ---------------------------------------------------------------------------


def test_a_repeat_view_costs_no_rendering_and_fewer_queries(world, login_as):
    client = _login(world.guardian, login_as)
    url = reverse("home")
    client.get(url)
    first, rendered = _queries(client, url)
    again, cached = _queries(client, url)
    assert first.context is not None and again.context is None
    assert _TOKEN.sub(b"", again.content) == _TOKEN.sub(b"", first.content)
    assert cached < rendered
    assert cached <= 2  # the session's user, at most the session row


def test_a_hit_is_one_cache_read(world, login_as, monkeypatch):
    """The page and its scopes' versions come in one round trip to Redis."""
    client = _login(world.guardian, login_as)
    url = reverse("home")
    _warm(client, url)
    reads = []

    def spy(name):
        real = getattr(pagecache.cache, name)

        def read(keys, *args, **kwargs):
            mine = [k for k in ([keys] if isinstance(keys, str) else keys) if k.startswith(("page:", "pagever:"))]
            if mine:
                reads.append((name, len(mine)))
            return real(keys, *args, **kwargs)

        return read

    for name in ("get", "get_many"):
        monkeypatch.setattr(pagecache.cache, name, spy(name))
    response = client.get(url)
    assert response.status_code == 200 and response.context is None
    # The page, "dir", the unread badge's and the timetable's ("tt:home") versions.
    assert reads == [("get_many", 4)]


def test_a_page_rendered_across_a_write_is_not_served_after_it(world, login_as):
    """The versions stored with a page are those read before rendering: a write
    landing while the page renders leaves that page out of date at once."""
    client = _login(world.guardian, login_as)
    url = reverse("home")
    client.get(url)  # the CSRF cookie
    writes = []

    def write_during_render(sender, **kwargs):
        if not writes:
            writes.append(sender)
            pagecache.bump(pagecache.DIRECTORY)  # as if a write committed meanwhile

    template_rendered.connect(write_during_render)
    try:
        assert client.get(url).context is not None  # rendered and stored
    finally:
        template_rendered.disconnect(write_during_render)
    assert writes
    assert client.get(url).context is not None, "the page stored across the write must not be served"
    assert client.get(url).context is None  # stored again, now current


def test_pages_are_never_shared_between_families(world, login_as):
    mine = _login(world.guardian, login_as)
    theirs = _login(world.outsider_parent, login_as)
    url = reverse("homework:week")
    mine_page = _warm(mine, url).content.decode()
    theirs_page = _warm(theirs, url).content.decode()
    assert world.sibling.first_name in mine_page and world.outsider_pupil.first_name not in mine_page
    assert world.outsider_pupil.first_name in theirs_page and world.sibling.first_name not in theirs_page


def test_each_browser_gets_forms_for_its_own_csrf_cookie(world, login_as):
    """Same person, two browsers: the cached page of one carries a token the
    other's CSRF cookie would refuse, so each has its own page."""
    browsers = []
    for _ in range(2):
        c = Client(enforce_csrf_checks=True)
        login_as(world.guardian, the_client=c)
        _warm(c, reverse("home"))
        browsers.append(c)
    for c in browsers:
        page = c.get(reverse("home")).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        response = c.post(reverse("select_child"), {"child": world.pupil.id, "csrfmiddlewaretoken": token})
        assert response.status_code == 302


def test_the_child_chosen_in_the_header_changes_the_page(world, login_as, settings):
    client = _login(world.guardian, login_as)
    url = reverse("homework:week")
    first = _warm(client, url).content.decode()
    chosen = world.pupil if world.sibling.first_name in first else world.sibling
    client.post(reverse("select_child"), {"child": chosen.id})
    assert chosen.first_name in assert_fresh(client, url, settings).content.decode()


def test_flash_messages_are_shown_once_and_never_cached(world, login_as):
    client = _login(world.guardian, login_as)
    url = reverse("home")
    _warm(client, url)
    client.post(reverse("select_child"), {"child": "not a child"})
    with_message = client.get(url)
    assert with_message.context is not None  # rendered, not the cached page
    assert b'<ul class="messages">' in with_message.content
    after = client.get(url)
    assert b'<ul class="messages">' not in after.content
    assert client.get(url).context is None  # and the page without it is cached again


def test_the_language_is_part_of_the_page(world, login_as, settings):
    client = _login(world.guardian, login_as)
    url = reverse("home")
    french = _warm(client, url)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(url)
    assert english.headers["Content-Language"] == "en" and french.headers["Content-Language"] == "fr"
    assert _TOKEN.sub(b"", english.content) != _TOKEN.sub(b"", french.content)


def test_the_cache_can_be_turned_off(world, login_as, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client = _login(world.guardian, login_as)
    for _ in range(3):
        assert client.get(reverse("home")).context is not None


def test_the_week_lives_until_the_next_scheduled_entry_appears(world, login_as, monkeypatch):
    stored = []
    real_set = pagecache.cache.set

    def spy(key, value, timeout=None):
        if key.startswith(pagecache.PAGE_PREFIX):
            stored.append(timeout)
        return real_set(key, value, timeout)

    monkeypatch.setattr(pagecache.cache, "set", spy)
    client = _login(world.pupil, login_as)
    url = reverse("homework:week")
    client.get(url)
    client.get(url)
    assert stored == [300]  # nothing scheduled: the usual lifetime
    later = timezone.now() + datetime.timedelta(seconds=90)
    _post(world, Target(school_class=world.klass), title="Plus tard", publish_at=later)
    client.get(url)
    assert 85 <= stored[-1] <= 90


def test_a_scheduled_entry_appears_on_a_cached_week_when_its_time_comes(world, login_as):
    client = _login(world.pupil, login_as)
    url = reverse("homework:week")
    publish_at = timezone.now() + datetime.timedelta(seconds=3)
    make_entry(world, title="Exposé programmé", publish_at=publish_at)
    _warm(client, url)
    assert "Exposé programmé" not in client.get(url).content.decode()
    time.sleep(max(0.0, (publish_at - timezone.now()).total_seconds()) + 0.2)
    assert "Exposé programmé" in client.get(url).content.decode()


# --- Every kind of write replaces the pages it changes ------------------------------------
# Writes go through the actions, the one write path (they say what they touch:
# ent.pagecache.bump_after_commit); factories write rows and tell no one.


def _post(world, target, **fields):
    given = {
        "kind": Entry.Kind.WORK,
        "subject": world.subject if target.school.id == world.school.id else None,
        "title": "Exercices",
        "instructions": "",
        "work_type": Entry.WorkType.HOMEWORK,
        "given_on": timezone.localdate(),
        "due_on": timezone.localdate() + datetime.timedelta(days=2),
        "publish_at": None,
        "minutes": 20,
        "hand_in": False,
        **fields,
    }
    (entry,) = homework_actions.do_create_entry(world.teacher, target, given)
    return entry


def test_new_homework_and_its_files_reach_the_family_at_once(world, login_as, settings):
    url = reverse("homework:week")
    family = [_login(world.pupil, login_as), _login(world.guardian, login_as)]
    session = family[1].session
    session["child_id"] = world.pupil.id
    session.save()
    for c in family:
        _warm(c, url)
    _post(world, Target(school_class=world.klass), title="Rédaction sur l'automne")
    for c in family:
        assert "Rédaction sur l&#x27;automne" in assert_fresh(c, url, settings).content.decode()
    # (Its files: tests/homework/test_actions_bump_pages.py, with the object store.)
    group_entry = _post(world, Target(group=world.group), title="Version latine")
    for c in family:
        assert group_entry.title in assert_fresh(c, url, settings).content.decode()


def test_a_deleted_entry_leaves_the_week_with_its_ticks(world, login_as, settings, django_assert_max_num_queries):
    entry = make_entry(world, title="Exposé annulé")  # before the page is cached: no one to tell yet
    for pupil in (world.pupil, world.outsider_pupil):
        Done.objects.create(entry=entry, pupil=pupil)
    Attachment.objects.create(entry=entry, key="k2", filename="plan.pdf", size=3, content_type="application/pdf")
    pupil = _login(world.pupil, login_as)
    assert "Exposé annulé" in _warm(pupil, reverse("homework:week")).content.decode()
    # The ticks and the file go with the entry: the delete and its cascade, the
    # entry's readers found (now and at commit), none per cascaded row.
    with django_assert_max_num_queries(14):
        homework_actions.do_delete_entry(world.teacher, entry)
    assert "Exposé annulé" not in assert_fresh(pupil, reverse("homework:week"), settings).content.decode()


def test_a_tick_reaches_the_parents_page(world, login_as, settings):
    entry = make_entry(world)
    parent = _login(world.guardian, login_as)
    session = parent.session
    session["child_id"] = world.pupil.id
    session.save()
    url = reverse("homework:week")
    _warm(parent, url)
    pupil = _login(world.pupil, login_as)
    assert pupil.post(reverse("homework:tick", args=[entry.id]), {"done": "1"}).status_code == 302
    assert Done.objects.filter(entry=entry, pupil=world.pupil).exists()
    assert "is-done" in assert_fresh(parent, url, settings).content.decode()


def test_inbox_shows_new_conversations_and_archiving(world, login_as, settings):
    url = reverse("messaging:inbox")
    parent = _login(world.guardian, login_as)
    _warm(parent, url)
    conversation = messaging_actions.do_start_conversation(
        world.teacher, [world.guardian.pk], "Sortie au musée", "Bonjour"
    )
    assert "Sortie au musée" in assert_fresh(parent, url, settings).content.decode()
    messaging_actions.do_set_archived(world.guardian, conversation, True)
    assert "Sortie au musée" not in assert_fresh(parent, url, settings).content.decode()


def test_the_unread_badge_follows_new_and_read_notifications(world, login_as, settings):
    url = reverse("home")
    parent = _login(world.guardian, login_as)
    _warm(parent, url)
    notify([world.guardian], "message.new", context={})
    assert b'data-unread-count aria-live="polite">1<' in assert_fresh(parent, url, settings).content
    notify_actions.do_mark_all_read(world.guardian)
    assert b'data-unread-count aria-live="polite"><' in assert_fresh(parent, url, settings).content


def test_directory_changes_reach_every_cached_page(world, login_as, settings):
    teacher = _login(world.teacher, login_as)
    parent = _login(world.guardian, login_as)
    for c in (teacher, parent):
        _warm(c, reverse("home"))
    # A bulk update (no model signal): the pupil leaves, the class count drops.
    before = teacher.get(reverse("home")).content
    lifecycle.do_record_departure(world.pupil, school=world.school, by=world.direction)
    after = assert_fresh(teacher, reverse("home"), settings).content
    assert _TOKEN.sub(b"", after) != _TOKEN.sub(b"", before)
    # A single delete: the link to the second child goes.
    world.guardian.guardianships.filter(pupil=world.sibling).delete()
    page = assert_fresh(parent, reverse("home"), settings).content.decode()
    assert world.sibling.first_name not in page
