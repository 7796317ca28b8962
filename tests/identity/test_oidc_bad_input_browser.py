"""Bad OpenID Connect input against the ENT, through the real provider
(node-oidc-provider) in Chromium: an ID token for another nonce, a callback
with another state, an IdP the territory did not declare. Each: a clear page,
nothing linked, nobody signed in."""

import re
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
from allauth.socialaccount.models import SocialAccount

from ent.directory.models import AuditEntry
from ent.identity.models import PendingLink
from tests.identity.test_oidc_signin_browser import sign_in_at_op

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFUSED = re.compile("n[’']a pas pu aboutir")
CALLBACK = re.compile(r"/accounts/oidc/educonnect-op/login/callback/\?")
AUTHORIZE = re.compile(r"/auth\?")
SUBMIT = re.compile(r"/interaction/[^/?]+$")  # the IdP's login form


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # These tests play someone between the browser and the ENT with Playwright's
    # page.route(), which does not see the requests the ENT's service worker makes
    # for a page (Playwright's documentation: block workers to intercept). The
    # genuine sign-ins (test_*_signin_browser.py) keep the worker.
    return {**browser_context_args, "service_workers": "block"}


@pytest.fixture(autouse=True)
def _idp_in_form_action(settings, oidc_op):
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"], "form-action": ["'self'", oidc_op.url]}
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}


@pytest.fixture
def bworld(transactional_db):
    from tests.factories import build_world

    return build_world()


def with_param(url, name, value):
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert name in query, url
    query[name] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def rewrite_redirect(page, pattern, target, rewrite):
    """Chromium does not route the hops of a redirect chain: route the form
    submission that starts it, follow the chain in the browser's own cookie jar
    up to `target`, and send the browser there with `rewrite` applied."""

    def handle(route, request):
        if request.method != "POST":
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        location = urljoin(request.url, response.headers.get("location", ""))
        for _ in range(5):
            if target.search(location):
                break
            hop = page.request.get(location, max_redirects=0)
            location = urljoin(location, hop.headers.get("location", ""))
        assert target.search(location), location
        route.fulfill(status=302, headers={"location": rewrite(location)})

    page.route(pattern, handle)


def assert_refused_and_nothing_linked(page, live_server):
    assert REFUSED.search(page.content())
    assert not SocialAccount.objects.exists()
    assert not PendingLink.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["idp_link", "idp_first_sign_in"]).exists()
    assert page.request.get(f"{live_server.url}/", max_redirects=0).status == 302


def test_the_ent_sends_a_nonce_and_the_id_token_carries_it(page, live_server, bworld, op_idp):
    op_idp(bworld)
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/auth?" in r.url else None)
    sign_in_at_op(page, live_server, "sophie")
    assert page.url == f"{live_server.url}/"
    nonce = parse_qs(urlsplit(sent[0]).query)["nonce"][0]
    assert len(nonce) >= 32
    account = SocialAccount.objects.get(uid="sophie")
    assert account.extra_data["id_token"]["nonce"] == nonce


def test_id_token_for_another_nonce_is_refused(page, live_server, bworld, op_idp):
    op_idp(bworld)
    # The authorization request reaches the IdP with another nonce: the ID
    # token the IdP signs carries it, as a token stolen from another sign-in would.
    rewrite_redirect(
        page,
        re.compile(r"/accounts/oidc/educonnect-op/login/"),
        AUTHORIZE,
        lambda url: with_param(url, "nonce", "x" * 32),
    )
    sign_in_at_op(page, live_server, "sophie")
    assert_refused_and_nothing_linked(page, live_server)
    refused = AuditEntry.objects.get(action="idp_sign_in_refused")
    assert refused.details["why"] == "nonce_mismatch"


def test_callback_with_another_state_is_refused(page, live_server, bworld, op_idp):
    op_idp(bworld)
    rewrite_redirect(page, SUBMIT, CALLBACK, lambda url: with_param(url, "state", "forged"))
    sign_in_at_op(page, live_server, "sophie")
    assert page.url.startswith(f"{live_server.url}/accounts/oidc/")
    assert_refused_and_nothing_linked(page, live_server)


def test_callback_without_state_is_refused(page, live_server, bworld, op_idp):
    op_idp(bworld)

    def drop_state(url):
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items() if k != "state"}
        return urlunsplit(parts._replace(query=urlencode(query)))

    rewrite_redirect(page, SUBMIT, CALLBACK, drop_state)
    sign_in_at_op(page, live_server, "sophie")
    assert_refused_and_nothing_linked(page, live_server)


def test_callback_for_an_undeclared_idp_is_not_found(page, live_server, bworld, op_idp):
    op_idp(bworld)
    response = page.request.get(f"{live_server.url}/accounts/oidc/unknown-idp/login/callback/?code=x&state=y")
    assert response.status == 404
    assert not SocialAccount.objects.exists()
