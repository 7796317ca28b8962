"""OpenID Connect Back-Channel Logout, without a browser: logout tokens signed
here with a key the test IdP "publishes" (its discovery data and JWKS are put
in the cache as a first request would have left them), sent to
POST /identite/oidc/<slug>/backchannel-logout. A valid token ends exactly the
ENT sessions its IdP sign-in opened; every bad one is a 400 with a JSON error,
and nothing is ended."""

import json
import time
import uuid
from unittest import mock

import jwt
import pytest
from allauth.usersessions.models import UserSession
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from jwt.algorithms import RSAAlgorithm

from ent.directory import sessions
from ent.directory.models import AuditEntry
from ent.identity import actions, backchannel, logout
from ent.identity.models import OidcSignIn
from tests.identity.conftest import make_idp
from tests.identity.test_single_logout import fake_login, fake_request

pytestmark = pytest.mark.django_db

ISSUER = "https://op.example"
SLUG = "educonnect-test"
URL = f"/identite/oidc/{SLUG}/backchannel-logout"
EVENT = {"http://schemas.openid.net/event/backchannel-logout": {}}


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def idp_key():
    return new_key()


def publish(app, key, kid="k1"):
    jwk = {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": kid, "use": "sig", "alg": "RS256"}
    config = {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks"}
    cache.set(backchannel._config_key(app, "config"), config, 600)
    cache.set(backchannel._config_key(app, "jwks"), {"keys": [jwk]}, 600)


@pytest.fixture
def idp(world, idp_key):
    cache.clear()
    found = make_idp(world.territory, provider_id=SLUG, settings={"server_url": ISSUER})
    publish(found.app, idp_key)
    yield found
    cache.clear()


def logout_token(key, *, kid="k1", alg="RS256", drop=(), **claims):
    body = {
        "iss": ISSUER,
        "aud": "ent",
        "iat": int(time.time()),
        "exp": int(time.time()) + 120,
        "jti": uuid.uuid4().hex,
        "events": EVENT,
        "sub": "sophie",
        "sid": "sid-1",
        **claims,
    }
    for name in drop:
        body.pop(name, None)
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid, "typ": "logout+jwt"})


def signed_in(client_factory, user, idp, *, sub="sophie", sid="sid-1"):
    """A browser signed in as `user` through the IdP (sub, sid)."""
    client = client_factory()
    client.force_login(user)
    key = client.session.session_key
    UserSession.objects.create(user=user, session_key=key, ip="127.0.0.1", user_agent="test")
    actions.do_record_oidc_sign_in(idp.app.pk, user, sub=sub, sid=sid, session_key=key)
    return client


@pytest.fixture
def browsers(world, idp):
    from django.test import Client

    return {
        # Sophie's phone came through the IdP (sid-1), her PC too (sid-2),
        # and her tablet with a password.
        "phone": signed_in(Client, world.guardian, idp, sid="sid-1"),
        "pc": signed_in(Client, world.guardian, idp, sid="sid-2"),
        "tablet": _password_client(Client, world.guardian),
        # Another family, through the same IdP.
        "other": signed_in(Client, world.guardian2, idp, sub="marc", sid="sid-9"),
    }


def _password_client(client_factory, user):
    client = client_factory()
    client.force_login(user)
    return client


def still_signed_in(client):
    return client.get("/", follow=False).status_code == 200


def post(client, token, url=URL):
    return client.post(url, {"logout_token": token})


def assert_refused(response, what):
    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] == "invalid_request"
    assert what.lower() in body["error_description"].lower()


def assert_nothing_ended(browsers):
    assert all(still_signed_in(c) for c in browsers.values())


# --- A valid token ---------------------------------------------------------------------


def test_a_token_with_sid_ends_only_that_sign_in(client, browsers, idp_key, world, django_assert_max_num_queries):
    # 13: ending a sign-in also drops that browser's push subscription (it
    # hangs on the sign-in's device row: ent/notify/webpush.py).
    with django_assert_max_num_queries(13):
        response = post(client, logout_token(idp_key, sid="sid-1"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert not still_signed_in(browsers["phone"])
    assert still_signed_in(browsers["pc"])
    assert still_signed_in(browsers["tablet"])
    assert still_signed_in(browsers["other"])
    entry = AuditEntry.objects.get(action="idp_backchannel_logout")
    assert entry.target == world.guardian
    assert entry.details == {"provider": "ÉduConnect", "sessions": 1, "by": "sid"}


def test_a_token_with_only_sub_ends_that_persons_sessions_through_the_idp(client, browsers, idp_key):
    response = post(client, logout_token(idp_key, drop=("sid",)))
    assert response.status_code == 200
    assert not still_signed_in(browsers["phone"])
    assert not still_signed_in(browsers["pc"])
    # A password session of the same person, and another family, are left alone.
    assert still_signed_in(browsers["tablet"])
    assert still_signed_in(browsers["other"])


def test_sid_of_another_person_ends_nothing(client, browsers, idp_key):
    # sid-9 is Marc's sign-in: a token naming Sophie with it matches no session.
    response = post(client, logout_token(idp_key, sid="sid-9", sub="sophie"))
    assert response.status_code == 200
    assert_nothing_ended(browsers)


def test_the_ended_sessions_sockets_are_told(client, browsers, idp_key, django_capture_on_commit_callbacks):
    phone_key = browsers["phone"].session.session_key
    with mock.patch("ent.notify.push.send_to_groups") as send:
        with django_capture_on_commit_callbacks(execute=True):
            assert post(client, logout_token(idp_key, sid="sid-1")).status_code == 200
    told = {group for call in send.call_args_list for group in call.args[0]}
    assert sessions.session_group(phone_key) in told
    assert sessions.session_group(browsers["pc"].session.session_key) not in told


def test_an_unknown_sid_answers_200_and_ends_nothing(client, browsers, idp_key):
    response = post(client, logout_token(idp_key, sid="sid-unknown", sub="nobody"))
    assert response.status_code == 200
    assert_nothing_ended(browsers)
    assert not AuditEntry.objects.filter(action="idp_backchannel_logout").exists()


def test_a_session_of_another_idp_is_not_ended(client, world, browsers, idp_key):
    # The same sub and sid, but at another IdP of the territory.
    other = make_idp(world.territory, provider_id="academie-test", settings={"server_url": ISSUER})
    publish(other.app, idp_key)
    response = post(client, logout_token(idp_key, sid="sid-1"), url="/identite/oidc/academie-test/backchannel-logout")
    assert response.status_code == 200
    assert_nothing_ended(browsers)


# --- Bad tokens: 400, nothing ended -----------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "what"),
    [
        ({"aud": "another-client"}, "audience"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"events": {"http://schemas.openid.net/event/other": {}}}, "events"),
        ({"events": "http://schemas.openid.net/event/backchannel-logout"}, "events"),
        ({"nonce": "n-1"}, "nonce"),
        # Times relative to when the test runs (collected minutes earlier in a full run).
        ({"iat": -3600, "exp": +60}, "too old"),
        ({"exp": -3600}, "expired"),
        ({"sid": 42}, "strings"),
    ],
)
def test_a_bad_claim_is_refused(client, browsers, idp_key, claims, what):
    now = int(time.time())
    claims = {k: now + v if k in ("iat", "exp") else v for k, v in claims.items()}
    assert_refused(post(client, logout_token(idp_key, **claims)), what)
    assert_nothing_ended(browsers)


@pytest.mark.parametrize(
    ("drop", "what"), [(("sid", "sub"), "neither sid nor sub"), (("jti",), "jti"), (("iat",), "iat")]
)
def test_a_missing_claim_is_refused(client, browsers, idp_key, drop, what):
    assert_refused(post(client, logout_token(idp_key, drop=drop)), what)
    assert_nothing_ended(browsers)


def test_a_bad_signature_is_refused(client, browsers):
    # Same key id, another key: the IdP did not sign it.
    assert_refused(post(client, logout_token(new_key())), "Signature")
    assert_nothing_ended(browsers)


def test_a_token_signed_with_the_client_secret_is_refused(client, browsers):
    token = jwt.encode({"iss": ISSUER, "aud": "ent", "sid": "sid-1"}, "ent-secret-" * 4, algorithm="HS256")
    assert_refused(post(client, token), "algorithm")
    assert_nothing_ended(browsers)


def test_an_unsigned_token_is_refused(client, browsers):
    token = jwt.encode({"iss": ISSUER, "aud": "ent", "sid": "sid-1", "events": EVENT}, None, algorithm="none")
    assert_refused(post(client, token), "algorithm")
    assert_nothing_ended(browsers)


def test_an_unknown_key_id_is_refused(client, browsers, idp_key):
    # The JWKS is fetched again once (a rotation); still unknown: refused.
    with mock.patch.object(backchannel, "_fetch_jwks", return_value={"keys": []}) as fetch:
        assert_refused(post(client, logout_token(idp_key, kid="k2")), "no key")
        assert_refused(post(client, logout_token(idp_key, kid="k2")), "no key")
    assert fetch.call_count == 1  # at most once a minute, whoever asks
    assert_nothing_ended(browsers)


def test_a_rotated_key_is_fetched_again(client, browsers, idp_key):
    rotated = new_key()
    jwk = {**json.loads(RSAAlgorithm.to_jwk(rotated.public_key())), "kid": "k2"}
    with mock.patch.object(backchannel, "_fetch_jwks", return_value={"keys": [jwk]}):
        assert post(client, logout_token(rotated, kid="k2")).status_code == 200
    assert not still_signed_in(browsers["phone"])


def test_unreadable_idp_keys_are_a_400_not_a_500(client, browsers, idp, idp_key):
    cache.delete(backchannel._config_key(idp.app, "jwks"))
    with mock.patch.object(backchannel, "_fetch_jwks", side_effect=OSError("down")):
        assert_refused(post(client, logout_token(idp_key)), "keys could not be read")
    assert_nothing_ended(browsers)


def test_a_replayed_token_is_refused(client, browsers, idp_key):
    token = logout_token(idp_key, sid="sid-9", sub="marc")
    assert post(client, token).status_code == 200
    assert_refused(post(client, token), "already used")


def test_a_refused_token_does_not_use_up_its_jti(client, browsers, idp_key):
    jti = uuid.uuid4().hex
    assert_refused(post(client, logout_token(idp_key, jti=jti, aud="other")), "audience")
    assert post(client, logout_token(idp_key, jti=jti, sid="sid-1")).status_code == 200
    assert not still_signed_in(browsers["phone"])


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c"])
def test_garbage_is_refused(client, browsers, token):
    response = post(client, token)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert_nothing_ended(browsers)


# --- The endpoint itself ------------------------------------------------------------------


def test_an_unknown_idp_is_404(client, idp, idp_key):
    assert post(client, logout_token(idp_key), url="/identite/oidc/nobody/backchannel-logout").status_code == 404


def test_a_saml_app_is_not_an_openid_idp(client, idp, idp_key):
    idp.app.provider = "saml"
    idp.app.save()
    assert post(client, logout_token(idp_key)).status_code == 404


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_other_methods_are_405(client, idp, method):
    assert getattr(client, method)(URL).status_code == 405


def test_no_csrf_token_is_asked(idp, idp_key, browsers):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post(strict, logout_token(idp_key, sid="sid-1")).status_code == 200


# --- What the sign-in keeps, and when it is forgotten -----------------------------------------


def test_an_openid_sign_in_records_its_sid_and_session(world, idp):
    request = fake_request()
    data = {"kind": "oidc", "app": idp.app.pk, "id_token": "t", "sub": "sophie", "sid": "sid-7"}
    logout.remember_sign_in(request, fake_login("ec", "sophie"), data, acr=[])
    logout.on_user_logged_in(None, request, world.guardian, sociallogin=fake_login("ec", "sophie"))
    row = OidcSignIn.objects.get()
    assert (row.provider, row.user, row.sub, row.sid) == (idp, world.guardian, "sophie", "sid-7")
    assert row.session_key == request.session.session_key


def test_a_refused_identity_records_nothing(world, idp):
    request = fake_request()
    data = {"kind": "oidc", "app": idp.app.pk, "sub": "inconnu", "sid": "sid-7"}
    logout.remember_sign_in(request, fake_login("ec", "inconnu"), data, acr=[])
    logout.on_user_logged_in(None, request, world.guardian)  # a password sign-in after it
    assert not OidcSignIn.objects.exists()


def test_logging_out_of_the_ent_forgets_the_sign_in(world, browsers):
    key = browsers["phone"].session.session_key
    assert browsers["phone"].post("/accounts/logout/").status_code == 302
    assert not OidcSignIn.objects.filter(session_key=key).exists()
    assert OidcSignIn.objects.filter(sid="sid-2").exists()


def test_old_rows_are_pruned(world, idp, settings):
    actions.do_record_oidc_sign_in(idp.app.pk, world.guardian, sub="sophie", sid="old", session_key="k-old")
    OidcSignIn.objects.filter(sid="old").update(created_at="2020-01-01T00:00:00Z")
    actions.do_record_oidc_sign_in(idp.app.pk, world.guardian, sub="sophie", sid="new", session_key="k-new")
    assert list(OidcSignIn.objects.values_list("sid", flat=True)) == ["new"]
