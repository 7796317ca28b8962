"""Federated sign-in routes (ent/identity, allauth's socialaccount and its
OpenID provider), for tests/security/test_access_matrix.py."""

from allauth.socialaccount.models import SocialAccount

from tests.security.matrix import LOGIN, Route, expect, only

# The directory managers of the world's school (and the territory admin).
OFFICE = ["vie_scolaire", "direction", "admin"]


def _idp(w):
    from ent.identity.models import IdentityProvider
    from tests.identity.conftest import make_idp

    idp = IdentityProvider.objects.filter(territory=w.territory).first()
    return idp or make_idp(w.territory, provider_id="matrix-op")


def _saml(w):
    from allauth.socialaccount.models import SocialApp

    app = SocialApp.objects.filter(provider="saml").first() or SocialApp.objects.create(
        provider="saml",
        provider_id="matrix-saml",
        client_id="matrix-saml",
        name="SAML",
        settings={
            "idp": {"entity_id": "https://idp.invalid/", "x509cert": "", "sso_url": "https://idp.invalid/sso"},
            # The test client's host is "testserver", a single label.
            "advanced": {"allow_single_label_domains": True},
        },
    )
    return {"organization_slug": app.client_id}


def _pending(w):
    from ent.identity.models import PendingLink

    link = PendingLink.objects.filter(school=w.school).first()
    if link is None:
        link = PendingLink.objects.create(
            provider=_idp(w),
            uid="matrix-uid",
            profile="parent",
            attributes={"nom": ["Martin"]},
            school=w.school,
            reason="several",
        )
        link.candidates.set([w.guardian, w.guardian2])
    return {"link_id": link.id}


def _linked(w):
    account = SocialAccount.objects.filter(user=w.pupil).first()
    if account is None:
        account = SocialAccount.objects.create(user=w.pupil, provider=_idp(w).app.provider_id, uid="matrix-pupil")
    return {"account_id": account.id}


ROUTES = {
    "identity_queue": Route(only(OFFICE + ["staff_b"]), note="staff_b runs the other school's queue (empty)"),
    "identity_pending_detail": Route(only(OFFICE), kwargs=_pending),
    "identity_pending_link": Route(
        only(OFFICE, status=302),
        method="post",
        kwargs=_pending,
        data=lambda w: {"person": w.guardian.id},
        note="the first manager links; the next ones are told it is linked already: 302 both",
    ),
    "identity_pending_dismiss": Route(only(OFFICE, status=302), method="post", kwargs=_pending),
    "identity_unlink": Route(
        only(["vie_scolaire"], status=302, direction=None, admin=None),
        method="post",
        kwargs=_linked,
        note="the first manager removes the link; after that it is gone (404) for the others",
    ),
    "identity_backchannel_logout": Route(
        dict.fromkeys(expect(400), 400),
        method="post",
        kwargs=lambda w: {"slug": _idp(w).app.provider_id},
        note="an IdP's server posts a signed logout_token; none here: 400 whoever's cookie comes along, "
        "nothing ended (tests/identity/test_backchannel_logout.py)",
    ),
    # allauth's socialaccount pages.
    "socialaccount_connections": Route(expect(200), note="lists one's links; connecting and removing are refused"),
    "socialaccount_signup": Route(expect(LOGIN, anonymous=LOGIN), note="no sign-up from an external login"),
    "socialaccount_login_cancelled": Route(expect(200, anonymous=200)),
    "socialaccount_login_error": Route(expect(401, anonymous=401), note="allauth's error page"),
    "openid_connect_login": Route(
        expect(200, anonymous=200),
        kwargs=lambda w: {"provider_id": _idp(w).app.provider_id},
        note="GET asks to confirm; the POST goes to the IdP",
    ),
    "openid_connect_callback": Route(
        expect(400, anonymous=400),
        kwargs=lambda w: {"provider_id": _idp(w).app.provider_id},
        note="no state: the clear refusal page",
    ),
    "saml_metadata": Route(expect(200, anonymous=200), kwargs=_saml, note="the SP metadata an IdP is given"),
    "saml_login": Route(
        expect(None, anonymous=None),
        kwargs=_saml,
        note="python3-saml reads HTTP_HOST, which the test client does not send; the flow is in tests/identity",
    ),
    "saml_acs": Route(
        expect(302, anonymous=302), kwargs=_saml, note="stores the IdP's POST (any method), then finish_acs checks it"
    ),
    "saml_finish_acs": Route(expect(400, anonymous=400), kwargs=_saml, note="no response stored: the refusal page"),
    # The ENT's OpenID provider (allauth.idp.oidc).
    "idp:oidc:configuration": Route(expect(200, anonymous=200), note="public discovery document"),
    "idp:oidc:jwks": Route(expect(200, anonymous=200), note="public signing keys"),
    "identity_oidc_authorize": Route(
        expect(200), note="the territory's app policy in front of allauth's endpoint; without a client: its error page"
    ),
    "idp:oidc:authorization": Route(expect(200), note="without a client: allauth's error page, nothing issued"),
    "idp:oidc:device_authorization": Route(expect(200), note="asks for a device code; no client has that grant"),
    "idp:oidc:device_code": Route(
        expect(405, anonymous=405),
        note="OAuth API endpoint: POST only, authenticated by client credentials, not cookies (so CSRF-exempt by "
        "design); its POST is tested with a real client in tests/identity/test_provider_rp.py",
    ),
    "idp:oidc:token": Route(
        expect(405, anonymous=405),
        note="OAuth API endpoint: POST only, authenticated by client credentials, not cookies (so CSRF-exempt by "
        "design); its POST is tested with a real client in tests/identity/test_provider_rp.py",
    ),
    "idp:oidc:revoke": Route(
        expect(405, anonymous=405),
        note="OAuth API endpoint: POST only, authenticated by client credentials, not cookies (so CSRF-exempt by "
        "design); its POST is tested with a real client in tests/identity/test_provider_rp.py",
    ),
    "idp:oidc:userinfo": Route(expect(None, anonymous=None), note="no token: 401, tested in tests/identity"),
    "idp:oidc:logout": Route(expect(None, anonymous=None), note="RP-initiated logout, tested in tests/identity"),
}
