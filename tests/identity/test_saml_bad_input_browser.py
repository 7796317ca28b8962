"""Bad SAML input against the ENT, with real responses signed by SimpleSAMLphp
caught on their way to the ENT in Chromium: tampered, unsigned, replayed,
for another audience, expired, for an unknown IdP. Each: a clear page, nothing
linked, nobody signed in."""

import base64
import re
from datetime import timedelta

import pytest
import time_machine
from allauth.socialaccount.models import SocialAccount, SocialApp

from ent.directory.models import AuditEntry
from tests.identity.conftest import SAML_SLUG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFUSED = "n’a pas pu aboutir"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # These tests play someone between the browser and the ENT with Playwright's
    # page.route(), which does not see the requests the ENT's service worker makes
    # for a page (Playwright's documentation: block workers to intercept). The
    # genuine sign-ins (test_*_signin_browser.py) keep the worker.
    return {**browser_context_args, "service_workers": "block"}


@pytest.fixture(autouse=True)
def _idp_in_form_action(settings, saml_idp):
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"], "form-action": ["'self'", saml_idp.url]}
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}


@pytest.fixture
def bworld(transactional_db):
    from tests.factories import build_world

    return build_world()


def catch_response(page, live_server, username="sophie"):
    """Sign in at the IdP and keep the signed response instead of delivering it."""
    caught = {}

    def hold(route, request):
        if request.method == "POST":
            caught.update(dict(re.findall(r"([^=&]+)=([^&]*)", request.post_data)))
            route.fulfill(status=204, body="")
        else:
            route.continue_()

    page.route(f"**/accounts/saml/{SAML_SLUG}/acs/", hold)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Je suis parent ou élève de collège → ÉduConnect").click()
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "password")
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_function("() => true")
    for _ in range(100):
        if caught:
            break
        page.wait_for_timeout(100)
    page.unroute(f"**/accounts/saml/{SAML_SLUG}/acs/")
    from urllib.parse import unquote_plus

    return {k: unquote_plus(v) for k, v in caught.items()}


def deliver(page, live_server, form, slug=SAML_SLUG):
    response = page.request.post(f"{live_server.url}/accounts/saml/{slug}/acs/", form=form)
    return response.status, response.text()


def xml_of(form):
    return base64.b64decode(form["SAMLResponse"]).decode()


def with_xml(form, xml):
    return {**form, "SAMLResponse": base64.b64encode(xml.encode()).decode()}


def assert_nothing_linked(page, live_server):
    assert not SocialAccount.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["idp_link", "idp_first_sign_in"]).exists()
    assert page.request.get(f"{live_server.url}/", max_redirects=0).status == 302


def test_genuine_response_signs_in(page, live_server, bworld, saml_app):
    saml_app(bworld)
    status, body = deliver(page, live_server, catch_response(page, live_server))
    assert status == 200
    assert SocialAccount.objects.get(uid="ec-sophie").user == bworld.guardian


def test_tampered_response_is_refused(page, live_server, bworld, saml_app):
    saml_app(bworld)
    form = catch_response(page, live_server)
    xml = xml_of(form)
    assert "Sophie" in xml
    status, body = deliver(page, live_server, with_xml(form, xml.replace("Sophie", "Marc")))
    assert status == 400 and REFUSED in body
    assert_nothing_linked(page, live_server)


def test_unsigned_response_is_refused(page, live_server, bworld, saml_app):
    saml_app(bworld)
    form = catch_response(page, live_server)
    unsigned = re.sub(r"<ds:Signature.*?</ds:Signature>", "", xml_of(form), flags=re.S)
    assert "Signature" not in unsigned
    status, body = deliver(page, live_server, with_xml(form, unsigned))
    assert status == 400 and REFUSED in body
    assert_nothing_linked(page, live_server)


def test_replayed_response_is_refused(page, live_server, bworld, saml_app, browser):
    saml_app(bworld)
    form = catch_response(page, live_server)
    assert deliver(page, live_server, form)[0] == 200
    # Someone who copied the response posts it again from another browser.
    other = browser.new_context()
    try:
        status, body = deliver(other.new_page(), live_server, form)
        # No state stashed in that browser: allauth refuses it (403 page).
        assert status in (400, 403)
        assert other.request.get(f"{live_server.url}/", max_redirects=0).status == 302
    finally:
        other.close()
    # And again in the same browser: the one-time state is spent.
    status, body = deliver(page, live_server, form)
    assert status in (400, 403)
    assert SocialAccount.objects.count() == 1


def test_response_for_another_audience_is_refused(page, live_server, bworld, saml_app):
    idp = saml_app(bworld)
    form = catch_response(page, live_server)
    app = idp.app
    app.settings = {**app.settings, "sp": {"entity_id": "https://another-sp.example/metadata/"}}
    app.save()
    status, body = deliver(page, live_server, form)
    assert status == 400 and REFUSED in body
    assert_nothing_linked(page, live_server)


def test_expired_response_is_refused(page, live_server, bworld, saml_app):
    saml_app(bworld)
    form = catch_response(page, live_server)
    with time_machine.travel(timedelta(hours=1), tick=True):
        status, body = deliver(page, live_server, form)
    assert status == 400 and REFUSED in body
    assert_nothing_linked(page, live_server)


def test_unknown_idp_is_refused(page, live_server, bworld, saml_app):
    saml_app(bworld)
    form = catch_response(page, live_server)
    status, _ = deliver(page, live_server, form, slug="unknown-idp")
    assert status == 404
    assert_nothing_linked(page, live_server)


def test_idp_without_an_ent_identity_provider_row_is_refused(page, live_server, bworld, saml_app):
    idp = saml_app(bworld)
    form = catch_response(page, live_server)
    idp.delete()  # the SocialApp stays, the territory's declaration does not
    assert SocialApp.objects.filter(client_id=SAML_SLUG).exists()
    status, body = deliver(page, live_server, form)
    assert status == 400
    assert_nothing_linked(page, live_server)


def test_response_for_another_destination_is_refused(page, live_server, bworld, saml_app):
    saml_app(bworld)
    form = catch_response(page, live_server)
    xml = xml_of(form)
    # The Response's own Destination (outside the signed assertion): a response
    # the IdP sent to another service, posted here.
    destination = re.search(r'<samlp:Response[^>]*Destination="([^"]+)"', xml)
    assert destination and destination.group(1).endswith(f"/accounts/saml/{SAML_SLUG}/acs/")
    forged = xml.replace(
        destination.group(0), destination.group(0).replace(destination.group(1), "https://sp.example/acs/")
    )
    status, body = deliver(page, live_server, with_xml(form, forged))
    assert status == 400 and REFUSED in body
    assert_nothing_linked(page, live_server)
