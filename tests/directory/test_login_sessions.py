"""Sessions people expect (issue #25): "stay signed in on this device" (30 days,
refreshed by use, off by default) and the shared-computer mode (browser-session
cookie, short idle timeout, nothing remembered). Time travels; nothing sleeps.

The database session engine is used here: its expiry is checked against the
(travelled) clock, where Redis would expire keys by its own real clock."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _db_sessions(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    cache.clear()


def _login(client, **extra):
    response = client.post(LOGIN, {"login": "parent_t", "password": PASSWORD, **extra})
    assert response.status_code == 302, response.content[-2000:]
    return response


def _signed_in(client):
    return client.get("/").status_code == 200


def _stored_expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_default_is_not_remembered(world):
    client = Client()
    response = _login(client)
    cookie = response.cookies["sessionid"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # gone when the browser closes
    assert client.session.get_expire_at_browser_close()


def test_login_page_offers_both_choices_off_by_default(world):
    page = Client(HTTP_ACCEPT_LANGUAGE="fr").get(LOGIN).content.decode()
    assert "Rester connecté sur cet appareil" in page
    assert "Ordinateur partagé" in page
    assert 'name="remember"' in page and 'name="shared"' in page
    assert "checked" not in page


def test_remembered_for_30_days_and_refreshed_by_use(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = Client()
        response = _login(client, remember="on")
        assert int(response.cookies["sessionid"]["max-age"]) == 30 * 86400
        assert _stored_expiry(client) - start >= timedelta(days=29, hours=23)
        # Used every 20 days: never signed out, well past the first 30 days.
        for _ in range(3):
            traveller.shift(timedelta(days=20))
            assert _signed_in(client)
        assert _stored_expiry(client) >= timezone.now() + timedelta(days=29)
        # Then 31 days without use: signed out.
        traveller.shift(timedelta(days=31))
        assert not _signed_in(client)


def test_remember_refresh_writes_the_session_at_most_once_a_day(world):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = Client()
        _login(client, remember="on")
        first = _stored_expiry(client)
        traveller.shift(timedelta(hours=3))
        assert _signed_in(client)
        assert _stored_expiry(client) == first  # no write: the same expiry
        traveller.shift(timedelta(days=1))
        assert _signed_in(client)
        assert _stored_expiry(client) > first


def test_not_remembered_session_ends_after_12_hours_even_if_the_browser_stays_open(world):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = Client()
        _login(client)
        traveller.shift(timedelta(hours=11))
        assert _signed_in(client)
        traveller.shift(timedelta(hours=2))
        assert not _signed_in(client)


def test_shared_computer_signs_out_after_idle_time(world):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        response = _login(client, shared="on", remember="on")  # shared wins over remember
        assert response.cookies["sessionid"]["max-age"] == ""
        # Used every 10 minutes: still signed in after an hour.
        for _ in range(6):
            traveller.shift(timedelta(minutes=10))
            assert _signed_in(client)
        # 16 minutes without use: the next pupil finds the login page.
        traveller.shift(timedelta(minutes=16))
        response = client.get("/", follow=True)
        assert response.redirect_chain and response.redirect_chain[-1][0].startswith(LOGIN)
        assert "signed out after a few minutes without use" in response.content.decode()
        assert "_auth_user_id" not in client.session


def test_shared_network_forces_the_mode_and_never_remembers(world, settings):
    settings.SHARED_COMPUTER_NETWORKS = ["203.0.113.0/24"]
    client = Client(REMOTE_ADDR="203.0.113.40", HTTP_ACCEPT_LANGUAGE="fr")
    page = client.get(LOGIN).content.decode()
    assert "Ordinateur partagé : vous serez déconnecté" in page
    assert 'name="shared"' not in page
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        response = _login(client, remember="on")  # a forged tick changes nothing
        assert response.cookies["sessionid"]["max-age"] == ""
        traveller.shift(timedelta(minutes=16))
        assert not _signed_in(client)
    # The same family at home is offered the choice.
    home = Client(REMOTE_ADDR="198.51.100.3", HTTP_ACCEPT_LANGUAGE="fr").get(LOGIN).content.decode()
    assert 'name="shared"' in home
