"""Single logout started by the ENT, without a browser: a session that came
through an IdP is sent on to the IdP's logout (SAML LogoutRequest with NameID +
SessionIndex; OpenID end_session_endpoint with id_token_hint), after the ENT
session has ended; a password session logs out as before. And what the
sign-in keeps for it: only for the identity that really signs in."""

import base64
import subprocess
import zlib
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialApp
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.test import RequestFactory

from ent.identity import logout
from tests.identity.conftest import make_idp

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def signed_in_through(client, data):
    session = client.session
    session[logout.SESSION_KEY] = data
    session.save()


def log_out(client, host="testserver"):
    # A browser always sends Host (the SAML toolkit reads it, and wants a dotted name).
    response = client.post("/accounts/logout/", HTTP_HOST=host)
    assert response.status_code == 302
    # The ENT session is over before the browser goes anywhere.
    assert client.get("/", follow=False).status_code == 302
    assert "_auth_user_id" not in client.session
    return response["Location"]


def test_password_session_logs_out_as_before(world, login_as):
    client = login_as(world.guardian)
    assert log_out(client) == LOGIN


def test_wrong_method_is_refused(world, login_as):
    client = login_as(world.guardian)
    signed_in_through(client, {"kind": "oidc", "app": 0})
    assert client.put("/accounts/logout/").status_code == 405
    assert client.get("/", follow=False).status_code == 200


# --- OpenID Connect -----------------------------------------------------------------


@pytest.fixture
def oidc_app(world):
    idp = make_idp(world.territory, settings={"server_url": "https://op.example"})
    # The IdP's discovery document as cached by a first logout.
    cache.set(
        f"ent.identity.end_session:{idp.app.pk}:https://op.example",
        "https://op.example/session/end",
        60,
    )
    yield idp.app
    cache.clear()


def test_oidc_session_goes_on_to_the_end_session_endpoint(world, login_as, oidc_app):
    client = login_as(world.guardian)
    signed_in_through(client, {"kind": "oidc", "app": oidc_app.pk, "id_token": "a.b.c"})
    url = urlsplit(log_out(client))
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://op.example/session/end"
    params = parse_qs(url.query)
    assert params == {
        "id_token_hint": ["a.b.c"],
        "post_logout_redirect_uri": ["http://testserver/accounts/login/"],
        "client_id": ["ent"],
    }


def test_oidc_idp_without_end_session_logs_out_locally(world, login_as, oidc_app):
    cache.set(f"ent.identity.end_session:{oidc_app.pk}:https://op.example", "", 60)
    client = login_as(world.guardian)
    signed_in_through(client, {"kind": "oidc", "app": oidc_app.pk, "id_token": "a.b.c"})
    assert log_out(client) == LOGIN


def test_unreachable_idp_logs_out_locally(world, login_as):
    # Port 9 (discard): nothing answers; the ENT session ends all the same.
    idp = make_idp(world.territory, settings={"server_url": "http://127.0.0.1:9"})
    client = login_as(world.guardian)
    signed_in_through(client, {"kind": "oidc", "app": idp.app.pk, "id_token": "a.b.c"})
    assert log_out(client) == LOGIN


def test_removed_idp_logs_out_locally(world, login_as, oidc_app):
    client = login_as(world.guardian)
    signed_in_through(client, {"kind": "oidc", "app": oidc_app.pk, "id_token": "a.b.c"})
    oidc_app.delete()
    assert log_out(client) == LOGIN


# --- SAML -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def idp_cert(tmp_path_factory):
    root = tmp_path_factory.mktemp("idpcert")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=idp",
         "-keyout", str(root / "k"), "-out", str(root / "c")],
        check=True, capture_output=True,
    )  # fmt: skip
    return (root / "c").read_text()


def saml_app(world, cert, *, slo=True):
    idp = {"entity_id": "https://idp.example/metadata", "x509cert": cert, "sso_url": "https://idp.example/sso"}
    if slo:
        idp["slo_url"] = "https://idp.example/slo"
    return SocialApp.objects.create(provider="saml", provider_id="ec-saml", client_id="ec-saml", settings={"idp": idp})


SAML_SESSION = {
    "kind": "saml",
    "name_id": "ec-sophie-persistent",
    "name_id_format": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "nq": None,
    "spnq": None,
    "session_index": "_session-index-42",
}


@pytest.fixture
def ent_host(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "ent.example"]
    return "ent.example"


def test_saml_session_sends_a_logout_request_with_nameid_and_session_index(world, login_as, idp_cert, ent_host):
    app = saml_app(world, idp_cert)
    client = login_as(world.guardian)
    signed_in_through(client, {**SAML_SESSION, "app": app.pk})
    url = urlsplit(log_out(client, ent_host))
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://idp.example/slo"
    params = parse_qs(url.query)
    xml = zlib.decompress(base64.b64decode(params["SAMLRequest"][0]), -15).decode()
    assert "<samlp:LogoutRequest" in xml
    assert ">ec-sophie-persistent</saml:NameID>" in xml
    assert "<samlp:SessionIndex>_session-index-42</samlp:SessionIndex>" in xml
    assert 'Destination="https://idp.example/slo"' in xml
    assert params["RelayState"] == ["http://ent.example/accounts/login/"]


def test_saml_idp_without_slo_logs_out_locally(world, login_as, idp_cert, ent_host):
    app = saml_app(world, idp_cert, slo=False)
    client = login_as(world.guardian)
    signed_in_through(client, {**SAML_SESSION, "app": app.pk})
    assert log_out(client, ent_host) == LOGIN


# --- What a sign-in keeps ------------------------------------------------------------------


def fake_request():
    request = RequestFactory().get("/")
    request.session = SessionStore()
    return request


def fake_login(provider, uid):
    return SimpleNamespace(account=SimpleNamespace(provider=provider, uid=uid), state={})


def test_the_signed_in_identity_keeps_its_logout_data():
    request = fake_request()
    logout.remember_sign_in(request, fake_login("ec", "sophie"), {"kind": "oidc", "id_token": "t"}, acr=["mfa"])
    logout.on_user_logged_in(None, request, None, sociallogin=fake_login("ec", "sophie"))
    kept = request.session[logout.SESSION_KEY]
    assert kept["id_token"] == "t" and kept["acr"] == ["mfa"]
    assert logout.PENDING_KEY not in request.session


def test_a_password_sign_in_after_a_refused_identity_keeps_nothing():
    request = fake_request()
    # A queued identity left its data pending; then a password sign-in.
    logout.remember_sign_in(request, fake_login("ec", "inconnu"), {"kind": "oidc", "id_token": "t"}, acr=[])
    logout.on_user_logged_in(None, request, None)
    assert logout.SESSION_KEY not in request.session
    assert logout.PENDING_KEY not in request.session


def test_another_identity_does_not_take_the_pending_data():
    request = fake_request()
    logout.remember_sign_in(request, fake_login("ec", "sophie"), {"kind": "oidc", "id_token": "t"}, acr=[])
    logout.on_user_logged_in(None, request, None, sociallogin=fake_login("ec", "lea"))
    assert logout.SESSION_KEY not in request.session


def test_only_the_id_token_allauth_verified_is_kept():
    def token(claims):
        import json

        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        return f"eyJhbGciOiJSUzI1NiJ9.{body}.sig"

    request = fake_request()
    request.ent_raw_id_tokens = [token({"sub": "other", "nonce": "n"}), token({"sub": "sophie", "nonce": "n"})]
    assert logout.raw_id_token_of(request, {"sub": "sophie", "nonce": "n"}) == request.ent_raw_id_tokens[1]
    assert logout.raw_id_token_of(request, {"sub": "nobody"}) is None
    assert logout.raw_id_token_of(request, None) is None
    request.ent_raw_id_tokens = ["not-a-jwt"]
    assert logout.raw_id_token_of(request, {"sub": "sophie"}) is None
