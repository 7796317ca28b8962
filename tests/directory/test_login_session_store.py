"""The session engines that write a new session once (ent/directory/session_engines,
issue #25): a login INSERTs its session at the end of the request, with
everything the login put in it, and nothing else changes about sessions."""

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ent.directory import session_engines
from ent.directory.session_engines import cached_db, db
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ENGINES = [db.SessionStore, cached_db.SessionStore]


def _session_queries(ctx):
    return [q["sql"].split()[0] for q in ctx.captured_queries if '"django_session"' in q["sql"]]


def test_the_settings_use_them():
    assert settings.SESSION_ENGINE in {"ent.directory.session_engines.db", "ent.directory.session_engines.cached_db"}


def test_a_login_writes_its_session_once(client, world, django_capture_on_commit_callbacks):
    with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_login"), {"login": world.guardian.username, "password": PASSWORD})
    assert response.status_code == 302
    assert _session_queries(ctx) == ["INSERT"]
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    stored = import_module(settings.SESSION_ENGINE).SessionStore(key)
    assert stored["_auth_user_id"] == str(world.guardian.pk)
    assert client.get(reverse("home")).status_code == 200


def test_signing_in_over_an_anonymous_session_moves_it_to_a_new_key(world):
    client = Client()
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["kept"] = "yes"
    store.create()  # create() still stores at once, as Django's does (tests and tools rely on it)
    old = store.session_key
    assert Session.objects.filter(session_key=old).exists()
    client.cookies[settings.SESSION_COOKIE_NAME] = old
    assert client.post(reverse("account_login"), {"login": world.guardian.username, "password": PASSWORD}).status_code
    new = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new != old
    assert not Session.objects.filter(session_key=old).exists()
    stored = import_module(settings.SESSION_ENGINE).SessionStore(new)
    assert stored["kept"] == "yes" and stored["_auth_user_id"] == str(world.guardian.pk)


@pytest.mark.parametrize("engine", ENGINES)
def test_cycle_key_stores_nothing_until_saved(engine):
    store = engine()
    store["a"] = 1
    store.save()
    old = store.session_key
    store.cycle_key()
    new = store.session_key
    assert new and new != old
    assert not Session.objects.filter(session_key__in=[old, new]).exists()
    store["b"] = 2  # put in after the new key, before the end of the request
    store.save()
    assert engine(new).load() == {"a": 1, "b": 2}
    store["c"] = 3
    store.save()  # an ordinary save of a stored session: an UPDATE, as before
    assert engine(new).load() == {"a": 1, "b": 2, "c": 3}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_first_save_inserts_without_looking_the_key_up_first(engine):
    store = engine()
    store["a"] = 1
    with CaptureQueriesContext(connection) as ctx:
        store.save()
    assert _session_queries(ctx) == ["INSERT"]
    assert engine(store.session_key).load() == {"a": 1}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_drawn_key_already_taken_is_drawn_again(engine, monkeypatch):
    taken = engine()
    taken["owner"] = "someone else"
    taken.create()
    draws = iter([taken.session_key, "n" * 32])
    monkeypatch.setattr(session_engines, "_draw_key", lambda: next(draws))
    store = engine()
    store["owner"] = "me"
    store.cycle_key()
    store.save()
    assert store.session_key == "n" * 32
    assert engine("n" * 32).load() == {"owner": "me"}
    assert engine(taken.session_key).load() == {"owner": "someone else"}  # never overwritten


def test_the_adapter_was_written_for_this_django():
    # ent/directory/session_engines sets SessionBase._session_key (no public
    # way to draw a key without storing it): re-read Django's SessionBase and
    # cycle_key() before changing this line.
    import django

    assert django.VERSION[:2] == (5, 2), "re-check ent/directory/session_engines against this Django's SessionBase"
