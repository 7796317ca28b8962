"""Signing in through a real SAML 2.0 IdP (SimpleSAMLphp, its own key, signed
assertions) in Chromium: the full redirect / POST binding flow."""

import pytest
from allauth.socialaccount.models import SocialAccount

from ent.directory.models import AuditEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _idp_in_form_action(settings, saml_idp):
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"], "form-action": ["'self'", saml_idp.url]}
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}


@pytest.fixture
def bworld(transactional_db):
    from tests.factories import build_world

    return build_world()


def sign_in_at_idp(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Je suis parent ou élève de collège → ÉduConnect").click()
    try:
        page.wait_for_selector("input[name=username]", timeout=10000)
    except Exception:
        raise AssertionError(f"{page.url}: {page.inner_text('body')[:1500]}") from None
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "password")
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/**")
    page.wait_for_load_state()


def test_parent_signs_in_through_saml_and_lands_on_home(page, live_server, bworld, saml_app):
    saml_app(bworld)
    sign_in_at_idp(page, live_server, "sophie")
    assert page.url == f"{live_server.url}/", page.content()[:2000]
    account = SocialAccount.objects.get(provider="educonnect-saml", uid="ec-sophie")
    assert account.user == bworld.guardian
    assert AuditEntry.objects.filter(action="idp_first_sign_in", target=bworld.guardian).exists()


def test_idp_initiated_logout_ends_the_ent_session(page, live_server, bworld, saml_app, saml_idp):
    saml_app(bworld)
    sign_in_at_idp(page, live_server, "sophie")
    assert page.url == f"{live_server.url}/"
    # The IdP ends its session and sends a LogoutRequest to the ENT through the browser.
    page.goto(f"{saml_idp.url}/saml2/idp/initSLO.php?RelayState={live_server.url}/livez")
    try:
        page.wait_for_url(f"{live_server.url}/livez", timeout=15000)
    except Exception:
        raise AssertionError(f"{page.url}: {page.inner_text('body')[:800]}") from None
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
