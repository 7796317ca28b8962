"""Single logout both ways against the real IdPs, in Chromium.

ENT-initiated: the person signs in through the IdP, signs out of the ENT, and
both sessions are over: choosing the IdP again asks for the password (with the
IdP's session alive it would sign in at once). IdP-initiated: the IdP's logout
ends the ENT session (SAML here; OpenID in
test_backchannel_logout_browser.py)."""

import pytest
from allauth.socialaccount.models import SocialApp

from tests.identity.conftest import SAML_SLUG
from tests.identity.test_oidc_signin_browser import sign_in_at_op
from tests.identity.test_saml_signin_browser import sign_in_at_idp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EDUCONNECT = "Je suis parent ou élève de collège → ÉduConnect"


@pytest.fixture
def bworld(transactional_db):
    from tests.factories import build_world

    return build_world()


def allow_form_action(settings, *origins):
    # What IDP_FORM_ACTION_ORIGINS does in production: the login and logout
    # forms may lead to the IdP.
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"], "form-action": ["'self'", *origins]}
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}


def sign_out_of_the_ent(page):
    page.locator("form[action='/accounts/logout/'] button[type=submit]").click()


def assert_ent_session_over(page, live_server):
    assert page.request.get(f"{live_server.url}/", max_redirects=0).status == 302


# --- SAML (SimpleSAMLphp) -----------------------------------------------------------


@pytest.fixture
def saml_world(settings, bworld, saml_app, saml_idp):
    allow_form_action(settings, saml_idp.url)
    saml_app(bworld)
    return bworld


def test_ent_logout_ends_the_saml_idp_session(page, live_server, saml_world, saml_idp):
    sign_in_at_idp(page, live_server, "sophie")
    assert page.url == f"{live_server.url}/"
    sign_out_of_the_ent(page)
    # Through the IdP's SingleLogoutService and back to allauth's SLS view.
    page.wait_for_url(f"{live_server.url}/accounts/login/", timeout=15000)
    assert_ent_session_over(page, live_server)
    page.get_by_role("button", name=EDUCONNECT).click()
    page.wait_for_url(f"{saml_idp.url}/**")
    page.wait_for_selector("input[name=username]", timeout=10000)


def test_the_idp_checks_the_signature_of_the_logout_request(page, live_server, saml_world, saml_idp):
    # The counter-proof that the ENT's LogoutRequest above was signed and
    # checked: unsigned, SimpleSAMLphp refuses it (the ENT session ends anyway).
    app = SocialApp.objects.get(client_id=SAML_SLUG)
    app.settings = {**app.settings, "advanced": {**app.settings["advanced"], "logout_request_signed": False}}
    app.save()
    sign_in_at_idp(page, live_server, "sophie")
    sign_out_of_the_ent(page)
    page.wait_for_url(f"{saml_idp.url}/**")
    page.wait_for_load_state()
    assert not page.url.startswith(live_server.url)
    assert "signature" in page.content().lower()
    assert_ent_session_over(page, live_server)


def test_without_single_logout_the_saml_idp_would_sign_in_at_once(page, live_server, saml_world, settings):
    # The counter-proof of the test above: an ENT session ended by itself
    # leaves the IdP's alive, and choosing it again signs in with no password.
    sign_in_at_idp(page, live_server, "sophie")
    assert any(c["name"] == settings.SESSION_COOKIE_NAME for c in page.context.cookies())
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name=EDUCONNECT).click()
    page.wait_for_url(f"{live_server.url}/", timeout=15000)


# IdP-initiated SAML logout: test_saml_signin_browser.py's
# test_idp_initiated_logout_ends_the_ent_session.


# --- OpenID Connect (node-oidc-provider) -------------------------------------------------------


@pytest.fixture
def oidc_world(settings, bworld, op_idp, oidc_op):
    allow_form_action(settings, oidc_op.url)
    op_idp(bworld)
    return bworld


def test_ent_logout_ends_the_openid_idp_session(page, live_server, oidc_world, oidc_op):
    sign_in_at_op(page, live_server, "sophie")
    assert page.url == f"{live_server.url}/"
    sign_out_of_the_ent(page)
    # node-oidc-provider's own confirmation page of RP-initiated logout: it
    # knows the client from the id_token_hint.
    page.wait_for_url(f"{oidc_op.url}/session/end**")
    assert_ent_session_over(page, live_server)
    page.locator("button[autofocus], button[name=logout]").first.click()
    page.wait_for_url(f"{live_server.url}/accounts/login/", timeout=15000)
    page.get_by_role("button", name=EDUCONNECT).click()
    page.wait_for_url("**/interaction/**")
    assert page.locator("input[name=login]").count() == 1
