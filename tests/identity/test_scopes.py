"""The provider's `api` and `api.write` scopes: advertised in discovery, granted
to a client that is allowed them (the real code flow), and what the access
token then opens in the API (tests/api covers the endpoints themselves)."""

import pytest
import requests
from django.test import Client as DjangoClient

from ent.identity.provider import OIDCAdapter
from tests.factories import build_world
from tests.identity.test_provider_rp import RP, browser_session, make_app

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pworld(transactional_db):
    return build_world()


def test_discovery_lists_the_api_scopes():
    conf = DjangoClient().get("/.well-known/openid-configuration").json()
    assert {"openid", "api", "api.write"} <= set(conf["scopes_supported"])


def test_the_consent_page_words_them():
    assert {"api", "api.write"} <= set(OIDCAdapter.scope_display)


def test_a_client_allowed_api_gets_a_token_that_reads_the_api_but_does_not_write(pworld, live_server):
    app = make_app(pworld, live_server)
    app.set_scopes([*app.get_scopes(), "api"])
    app.save()
    rp = RP(live_server, app, scope="openid api")
    token, _claims = rp.sign_in(browser_session(live_server, pworld.guardian))
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    me = requests.get(f"{live_server.url}/api/v1/me", headers=bearer, timeout=30)
    assert me.status_code == 200 and me.json()["id"] == pworld.guardian.id
    write = requests.post(f"{live_server.url}/api/v1/notifications/read", headers=bearer, timeout=30)
    # RFC 6750: a valid token without the scope is "insufficient_scope", 403.
    assert write.status_code == 403


def test_api_write_is_granted_only_to_a_client_allowed_it(pworld, live_server):
    app = make_app(pworld, live_server)
    app.set_scopes([*app.get_scopes(), "api", "api.write"])
    app.save()
    rp = RP(live_server, app, scope="openid api api.write")
    token, _claims = rp.sign_in(browser_session(live_server, pworld.guardian))
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    write = requests.post(f"{live_server.url}/api/v1/notifications/read", headers=bearer, timeout=30)
    assert write.status_code == 200

    other = make_app(pworld, live_server, name="Sans API")  # not allowed api.write
    rp = RP(live_server, other, scope="openid api.write")
    response = browser_session(live_server, pworld.guardian).get(rp.authorize_url(), allow_redirects=False, timeout=30)
    assert "code=" not in response.headers.get("Location", "")
