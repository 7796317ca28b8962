"""OpenID Connect Back-Channel Logout against the real IdP (node-oidc-provider),
in Chromium: the person signs in to the ENT through the IdP, then signs out at
the IdP itself (its end_session page, as from its own portal); the IdP posts a
signed logout_token to the ENT, and the ENT session is over."""

import pytest

from ent.directory.models import AuditEntry
from ent.identity.models import OidcSignIn
from tests.identity.test_oidc_signin_browser import sign_in_at_op
from tests.identity.test_single_logout_browser import allow_form_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bworld(transactional_db):
    from tests.factories import build_world

    return build_world()


def test_logout_at_the_openid_idp_ends_the_ent_session(page, live_server, settings, bworld, op_idp, oidc_op):
    allow_form_action(settings, oidc_op.url)
    op_idp(bworld)
    sign_in_at_op(page, live_server, "sophie")
    assert page.url == f"{live_server.url}/"
    signed_in = OidcSignIn.objects.get(user=bworld.guardian)
    assert signed_in.sid  # the IdP named its session in the ID token
    # The IdP's own logout, not the ENT's: its confirmation page, then "yes".
    page.goto(f"{oidc_op.url}/session/end")
    page.locator("button[autofocus], button[name=logout]").first.click()
    page.wait_for_load_state()
    assert page.url.startswith(oidc_op.url)
    # The next request to the ENT lands on the login page.
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert not OidcSignIn.objects.exists()
    entry = AuditEntry.objects.get(action="idp_backchannel_logout")
    assert entry.target == bworld.guardian
    assert entry.details["by"] == "sid"


def test_without_the_idp_logout_the_ent_session_stays(page, live_server, settings, bworld, op_idp, oidc_op):
    # The counter-proof: the IdP's logout page opened but not confirmed
    # leaves the ENT session alive (the test above is not passing by accident).
    allow_form_action(settings, oidc_op.url)
    op_idp(bworld)
    sign_in_at_op(page, live_server, "sophie")
    page.goto(f"{oidc_op.url}/session/end")
    assert page.locator("button[autofocus], button[name=logout]").count() >= 1
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/"
    assert OidcSignIn.objects.filter(user=bworld.guardian).exists()
