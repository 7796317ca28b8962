"""The plain login page served from the cache (ent/directory/signin.py,
login_page): the same page for every signed-out visitor but for their own CSRF
token, and everything else still goes through allauth's view."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _tokens(response):
    return set(TOKEN.findall(response.content.decode()))


def test_each_visitor_gets_their_own_token_and_can_sign_in_with_it(world):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page1, page2 = first.get(LOGIN), second.get(LOGIN)
    assert page1.status_code == page2.status_code == 200
    (token1,), (token2,) = _tokens(page1), _tokens(page2)
    assert token1 != token2
    assert "csrftoken" in page2.cookies  # the cached page still sets the visitor's CSRF cookie
    # The same page around the token.
    assert TOKEN.sub("", page1.content.decode()) == TOKEN.sub("", page2.content.decode())
    response = second.post(
        LOGIN, {"login": world.guardian.username, "password": PASSWORD, "csrfmiddlewaretoken": token2}
    )
    assert response.status_code == 302
    assert int(second.session["_auth_user_id"]) == world.guardian.pk
    # Another visitor's token does not pass.
    third = Client(enforce_csrf_checks=True)
    third.get(LOGIN)
    refused = third.post(LOGIN, {"login": world.pupil.username, "password": PASSWORD, "csrfmiddlewaretoken": token1})
    assert refused.status_code == 403
    assert "_auth_user_id" not in third.session


def test_the_second_page_is_not_rendered_again(world, django_assert_max_num_queries):
    Client().get(LOGIN)
    with django_assert_max_num_queries(0):  # not even the IdP buttons' query
        assert Client().get(LOGIN).status_code == 200


def test_each_language_has_its_page(world):
    Client().get(LOGIN, HTTP_ACCEPT_LANGUAGE="fr")
    english = Client().get(LOGIN, HTTP_ACCEPT_LANGUAGE="en")
    french = Client().get(LOGIN, HTTP_ACCEPT_LANGUAGE="fr")
    assert english["Content-Language"] == "en" and 'lang="en"' in english.content.decode()
    assert french["Content-Language"] == "fr" and 'lang="fr"' in french.content.decode()


def test_a_shared_network_has_its_page(world, settings):
    Client().get(LOGIN)
    settings.SHARED_COMPUTER_NETWORKS = ["127.0.0.0/8"]
    shared = Client().get(LOGIN).content.decode()
    assert 'name="shared"' not in shared and 'type="hidden" name="remember"' in shared
    settings.SHARED_COMPUTER_NETWORKS = []
    own = Client().get(LOGIN).content.decode()
    assert 'name="shared"' in own


def test_next_is_kept_and_not_cached(world):
    Client().get(LOGIN)
    page = Client().get(LOGIN, {"next": "/absences/"}).content.decode()
    assert "/absences/" in page
    assert "/absences/" not in Client().get(LOGIN).content.decode()


def test_a_message_for_the_visitor_is_shown(world, client, login_as):
    Client().get(LOGIN)
    login_as(world.guardian)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302 and response.url == LOGIN
    page = client.get(LOGIN).content.decode()
    assert 'class="messages"' in page
    # Shown once: the next visit is the plain page again.
    assert 'class="messages"' not in client.get(LOGIN).content.decode()


def test_a_signed_in_visitor_is_sent_on_as_before(world, client, login_as):
    Client().get(LOGIN)
    login_as(world.guardian)
    response = client.get(LOGIN)
    assert response.status_code == 302


def test_a_wrong_password_shows_the_form_again_with_its_error(world, client):
    client.get(LOGIN)
    response = client.post(LOGIN, {"login": world.guardian.username, "password": "pas-le-bon"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert 'class="msg error"' in response.content.decode()


def test_other_methods_are_refused(world, client):
    assert client.put(LOGIN, {"login": world.guardian.username, "password": PASSWORD}).status_code == 405
    assert client.delete(LOGIN).status_code == 405
    assert "_auth_user_id" not in client.session
    assert client.head(LOGIN).status_code == 200


def test_off_renders_every_time(world, settings, django_assert_max_num_queries):
    settings.LOGIN_PAGE_CACHE_SECONDS = 0
    Client().get(LOGIN)
    with django_assert_max_num_queries(1) as captured:
        assert Client().get(LOGIN).status_code == 200
    assert len(captured) == 1  # the IdP buttons' query: rendered again


def test_an_identity_provider_added_or_removed_shows_on_the_next_visit(world, settings):
    """The cached page lists the IdPs: a write of one (admin, demo command)
    bumps the page's version, so nobody waits for the TTL."""
    from tests.identity.conftest import make_idp

    settings.LOGIN_PAGE_CACHE_SECONDS = 300
    assert "Académie test" not in Client().get(LOGIN).content.decode()
    idp = make_idp(world.territory)
    idp.label = "Académie test"
    idp.save()
    assert "Académie test" in Client().get(LOGIN).content.decode()
    idp.delete()
    assert "Académie test" not in Client().get(LOGIN).content.decode()
