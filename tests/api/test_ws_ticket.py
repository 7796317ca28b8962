"""POST /api/v1/ws-ticket: a one-use ticket for the socket (tests/api/test_ws.py
opens sockets with it). Bearer tokens only; the ticket is stored hashed."""

import datetime
import secrets

import pytest
from allauth.idp.oidc.models import Client, Token
from django.core.cache import cache
from django.utils import timezone

from ent.api import actions
from ent.api.actions import do_create_token, do_redeem_socket_ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/ws-ticket"


def _openid(user, scopes):
    app = Client.objects.create(name="App", type=Client.Type.CONFIDENTIAL)
    secret = secrets.token_urlsafe(32)
    token = Token(type=Token.Type.ACCESS_TOKEN, client=app, user=user)
    token.set_value(secret)
    token.set_scopes(scopes)
    token.expires_at = timezone.now() + datetime.timedelta(hours=1)
    token.save()
    return token, secret


def test_a_personal_token_gets_a_ticket_that_redeems_once(world, client):
    token, secret = do_create_token(world.guardian, "app")
    response = client.post(URL, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 201
    body = response.json()
    assert body["subprotocols"] == ["ent.v1", "ticket." + body["ticket"]]
    assert body["expires_in"] == actions.TICKET_SECONDS
    # The cache holds a hash of the ticket, never the ticket.
    assert cache.get("ws-ticket:" + body["ticket"]) is None
    assert do_redeem_socket_ticket(body["ticket"]) == {"credential": f"pat:{token.id}", "user": world.guardian.id}
    assert do_redeem_socket_ticket(body["ticket"]) is None


def test_an_openid_token_with_only_api_gets_one(world, client):
    token, secret = _openid(world.guardian, ["openid", "api"])
    response = client.post(URL, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 201
    assert do_redeem_socket_ticket(response.json()["ticket"])["credential"] == f"oidc:{token.pk}"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_session_and_bad_tokens_get_a_401_problem(world, client, login_as, lang):
    _token, without_api = _openid(world.guardian, ["openid", "profile"])
    for header in ("", "Bearer entpat_wrong", f"Bearer {without_api}"):
        extra = {"HTTP_AUTHORIZATION": header} if header else {}
        response = client.post(URL, HTTP_ACCEPT_LANGUAGE=lang, **extra)
        assert response.status_code == 401 and response.json()["status"] == 401
    login_as(world.guardian)
    assert client.post(URL).status_code == 401


def test_wrong_method_is_405(world, client):
    _token, secret = do_create_token(world.guardian, "app")
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 405


def test_a_cache_that_stores_nothing_is_a_503_problem(world, client, monkeypatch):
    _token, secret = do_create_token(world.guardian, "app")
    monkeypatch.setattr(actions.cache, "add", lambda *a, **k: False)
    response = client.post(URL, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 503 and response.json()["status"] == 503


@pytest.mark.parametrize("ticket", ["", "x", "entws_" + "a" * 200, "entws_unknown"])
def test_unknown_or_malformed_tickets_redeem_nothing(ticket):
    assert do_redeem_socket_ticket(ticket) is None
