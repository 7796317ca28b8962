"""The ENT as OpenID provider, driven by a real relying party (authlib's
client over HTTP against the live server): code + PKCE, ID token checked
against the published keys, userinfo, refresh, RP-initiated logout; claims per
scope; subjects per app; who may use an app; bad client input."""

import secrets

import pytest
import requests
from allauth.idp.oidc.models import Client
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.test import Client as DjangoClient

from ent.identity.models import AppPolicy
from tests.factories import build_world

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "school-app-secret-0123456789"  # noqa: S105


@pytest.fixture
def pworld(transactional_db):
    return build_world()


def make_app(world, live_server, name="Vie scolaire", **policy):
    client = Client.objects.create(
        name=name,
        secret=make_password(SECRET),
        type=Client.Type.CONFIDENTIAL,
        skip_consent=True,
    )
    client.set_redirect_uris([f"{live_server.url}/livez"])
    client.set_post_logout_redirect_uris([f"{live_server.url}/livez"])
    client.set_scopes(["openid", "profile", "email", "school", "children", "offline_access"])
    client.grant_types = "authorization_code\nrefresh_token"
    client.response_types = "code"
    client.save()
    AppPolicy.objects.create(client=client, territory=world.territory, **policy)
    return client


def browser_session(live_server, user):
    """The person's ENT session, as the browser cookie a user agent holds."""
    django_client = DjangoClient()
    django_client.force_login(user)
    s = requests.Session()
    s.cookies.set(settings.SESSION_COOKIE_NAME, django_client.cookies[settings.SESSION_COOKIE_NAME].value)
    return s


class RP:
    def __init__(self, live_server, client, scope="openid profile school"):
        self.conf = requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=30).json()
        self.client = client
        self.session = OAuth2Session(
            client.id, SECRET, scope=scope, redirect_uri=f"{live_server.url}/livez", code_challenge_method="S256"
        )
        self.verifier = secrets.token_urlsafe(48)
        self.nonce = secrets.token_urlsafe(16)

    def authorize_url(self):
        url, self.state = self.session.create_authorization_url(
            self.conf["authorization_endpoint"], code_verifier=self.verifier, nonce=self.nonce
        )
        return url

    def sign_in(self, user_agent):
        response = user_agent.get(self.authorize_url(), allow_redirects=False, timeout=30)
        assert response.status_code == 302, response.text[:500]
        callback = response.headers["Location"]
        token = self.session.fetch_token(
            self.conf["token_endpoint"], authorization_response=callback, code_verifier=self.verifier
        )
        keys = JsonWebKey.import_key_set(requests.get(self.conf["jwks_uri"], timeout=30).json())
        claims = jwt.decode(token["id_token"], keys)
        claims.validate()
        assert claims["iss"] == self.conf["issuer"]
        assert claims["aud"] == self.client.id
        assert claims["nonce"] == self.nonce
        return token, claims

    def userinfo(self):
        return self.session.get(self.conf["userinfo_endpoint"], timeout=30)


def test_code_pkce_userinfo_refresh(pworld, live_server):
    app = make_app(pworld, live_server)
    rp = RP(live_server, app, scope="openid profile school offline_access")
    token, id_claims = rp.sign_in(browser_session(live_server, pworld.pupil))
    info = rp.userinfo().json()
    assert info["sub"] == id_claims["sub"]
    assert info["given_name"] == "Léa" and info["ent_profile"] == "pupil"
    assert info["schools"] == [{"uai": pworld.school.uai, "name": pworld.school.name}]
    assert info["classes"] == ["6e A"]
    assert "children" not in info and "email" not in info
    refreshed = rp.session.refresh_token(rp.conf["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    assert rp.userinfo().json()["sub"] == id_claims["sub"]


def test_subjects_are_pseudonymous_and_differ_per_app(pworld, live_server):
    one, two = make_app(pworld, live_server, "A"), make_app(pworld, live_server, "B")
    agent = browser_session(live_server, pworld.pupil)
    _, claims_one = RP(live_server, one, "openid").sign_in(agent)
    _, claims_two = RP(live_server, two, "openid").sign_in(agent)
    assert claims_one["sub"] != claims_two["sub"]
    assert str(pworld.pupil.pk) not in (claims_one["sub"], claims_two["sub"])
    # Stable for one app.
    _, again = RP(live_server, one, "openid").sign_in(agent)
    assert again["sub"] == claims_one["sub"]


def test_openid_alone_releases_only_the_subject(pworld, live_server):
    rp = RP(live_server, make_app(pworld, live_server), "openid")
    rp.sign_in(browser_session(live_server, pworld.guardian))
    assert set(rp.userinfo().json()) == {"sub"}


def test_children_only_with_their_scope(pworld, live_server):
    app = make_app(pworld, live_server)
    agent = browser_session(live_server, pworld.guardian)
    without = RP(live_server, app, "openid profile")
    without.sign_in(agent)
    assert "children" not in without.userinfo().json()
    with_children = RP(live_server, app, "openid children")
    with_children.sign_in(agent)
    children = with_children.userinfo().json()["children"]
    assert {(c["given_name"], c["school_uai"]) for c in children} == {
        ("Léa", pworld.school.uai),
        ("Hugo", pworld.school_b.uai),
    }
    # A child's subject is the one this app knows the child by.
    _, lea = RP(live_server, app, "openid").sign_in(browser_session(live_server, pworld.pupil))
    assert lea["sub"] in {c["sub"] for c in children}


def test_app_not_open_to_this_profile_gets_nothing(pworld, live_server):
    rp = RP(live_server, make_app(pworld, live_server, allows_parents=False), "openid")
    response = browser_session(live_server, pworld.guardian).get(rp.authorize_url(), allow_redirects=False, timeout=30)
    assert response.status_code == 403
    assert "code=" not in response.headers.get("Location", "")


def test_app_of_another_territory_gets_nothing(pworld, live_server):
    from tests.factories import make_territory

    app = make_app(pworld, live_server)
    AppPolicy.objects.filter(client=app).update(territory=make_territory("Ailleurs"))
    rp = RP(live_server, app, "openid")
    response = browser_session(live_server, pworld.pupil).get(rp.authorize_url(), allow_redirects=False, timeout=30)
    assert response.status_code == 403


def test_unregistered_redirect_uri_is_refused(pworld, live_server):
    rp = RP(live_server, make_app(pworld, live_server), "openid")
    rp.session.redirect_uri = "https://evil.example/cb"
    response = browser_session(live_server, pworld.pupil).get(rp.authorize_url(), allow_redirects=False, timeout=30)
    assert response.status_code != 302 or not response.headers["Location"].startswith("https://evil.example")


def test_wrong_client_secret_is_refused(pworld, live_server):
    app = make_app(pworld, live_server)
    rp = RP(live_server, app, "openid")
    agent = browser_session(live_server, pworld.pupil)
    callback = agent.get(rp.authorize_url(), allow_redirects=False, timeout=30).headers["Location"]
    rp.session.client_secret = "wrong"  # noqa: S105
    with pytest.raises(Exception, match="invalid_client"):
        rp.session.fetch_token(rp.conf["token_endpoint"], authorization_response=callback, code_verifier=rp.verifier)


def test_wrong_pkce_verifier_is_refused(pworld, live_server):
    rp = RP(live_server, make_app(pworld, live_server), "openid")
    agent = browser_session(live_server, pworld.pupil)
    callback = agent.get(rp.authorize_url(), allow_redirects=False, timeout=30).headers["Location"]
    assert create_s256_code_challenge(rp.verifier)
    with pytest.raises(Exception, match="invalid_grant"):
        rp.session.fetch_token(rp.conf["token_endpoint"], authorization_response=callback, code_verifier="x" * 50)


def test_rp_initiated_logout_ends_the_ent_session(pworld, live_server):
    app = make_app(pworld, live_server)
    rp = RP(live_server, app, "openid")
    agent = browser_session(live_server, pworld.pupil)
    token, _ = rp.sign_in(agent)
    assert agent.get(f"{live_server.url}/", allow_redirects=False, timeout=30).status_code == 200
    response = agent.get(
        rp.conf["end_session_endpoint"],
        params={"id_token_hint": token["id_token"], "post_logout_redirect_uri": f"{live_server.url}/livez"},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code == 200:
        # allauth's confirmation form (when it asks): submit it as the browser would.
        import re

        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text).group(1)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text))
        response = agent.post(
            rp.conf["end_session_endpoint"],
            data={**fields, "csrfmiddlewaretoken": csrf, "action": "logout"},
            headers={"Referer": rp.conf["end_session_endpoint"]},
            allow_redirects=False,
            timeout=30,
        )
    assert response.status_code == 302 and response.headers["Location"].startswith(f"{live_server.url}/livez")
    assert agent.get(f"{live_server.url}/", allow_redirects=False, timeout=30).status_code == 302
