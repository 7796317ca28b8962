"""Passkeys in Chromium (issue #25): a parent registers a passkey, then signs
in with it alone, through a virtual authenticator driven by the DevTools
protocol (TESTING.md, "Passkeys in Chromium")."""

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def webauthn_over_http(settings):
    # The live server is plain http on localhost (a secure context for Chromium).
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True


def _virtual_authenticator(context, page):
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    return cdp, cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]


def test_parent_registers_a_passkey_then_signs_in_with_it(browser, live_server, bworld, login_form, webauthn_over_http):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    cdp, authenticator_id = _virtual_authenticator(context, page)
    login_form(page, bworld.guardian)
    assert page.url == f"{live_server.url}/"

    page.goto(f"{live_server.url}/accounts/2fa/webauthn/add/")
    page.fill("input[name=name]", "Mon téléphone")
    page.check("input[name=passwordless]")
    with page.expect_navigation():
        page.click("#mfa_webauthn_add")
    page.wait_for_load_state()
    passkey = Authenticator.objects.get(user=bworld.guardian, type=Authenticator.Type.WEBAUTHN)
    assert passkey.wrap().is_passwordless
    assert cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]

    # Signed out, then back in with the passkey alone: no username, no password.
    context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    with page.expect_navigation():
        page.click("#passkey_login")
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/", page.url
    expect(page.locator("h1")).to_have_text("Bonjour Sophie")
    context.close()
