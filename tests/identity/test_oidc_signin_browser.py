"""Signing in to the ENT through a real OpenID provider (node-oidc-provider),
in Chromium: the login page's choice, the IdP's own login page, back to the
ENT's home; and what happens when the identity matches nobody or several."""

import pytest
from allauth.socialaccount.models import SocialAccount

from ent.directory.models import AuditEntry
from ent.identity.models import PendingLink

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _idp_in_form_action(settings, oidc_op):
    # What IDP_FORM_ACTION_ORIGINS does in production: the login form's
    # redirect to the IdP is allowed by the CSP.
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"], "form-action": ["'self'", oidc_op.url]}
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}


@pytest.fixture
def bworld(transactional_db):
    from tests.factories import build_world

    return build_world()


def sign_in_at_op(page, live_server, login):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Je suis parent ou élève de collège → ÉduConnect").click()
    page.wait_for_url("**/interaction/**")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "anything")
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_parent_signs_in_and_lands_on_home(page, live_server, bworld, op_idp):
    op_idp(bworld)
    sign_in_at_op(page, live_server, "sophie")
    assert page.url == f"{live_server.url}/"
    assert "Sophie" in page.content()
    account = SocialAccount.objects.get(provider="educonnect-op", uid="sophie")
    assert account.user == bworld.guardian
    actions = set(AuditEntry.objects.filter(target=bworld.guardian).values_list("action", flat=True))
    assert {"idp_link", "idp_first_sign_in"} <= actions


def test_pupil_signs_in_twice_with_one_link(page, live_server, bworld, op_idp):
    op_idp(bworld)
    sign_in_at_op(page, live_server, "lea")
    assert page.url == f"{live_server.url}/"
    page.context.clear_cookies()
    sign_in_at_op(page, live_server, "lea")
    assert page.url == f"{live_server.url}/"
    assert SocialAccount.objects.filter(user=bworld.pupil).count() == 1
    assert AuditEntry.objects.filter(target=bworld.pupil, action="idp_first_sign_in").count() == 1


def test_unknown_identity_waits_for_the_office(page, live_server, bworld, op_idp):
    op_idp(bworld)
    sign_in_at_op(page, live_server, "inconnu")
    assert "Votre établissement va relier votre compte" in page.content()
    assert not SocialAccount.objects.exists()
    link = PendingLink.objects.get(uid="inconnu")
    assert link.reason == "none" and link.status == "pending"
    # Nobody is signed in.
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url


def test_two_matching_guardians_wait_with_both_as_candidates(page, live_server, bworld, op_idp):
    op_idp(bworld)
    sign_in_at_op(page, live_server, "martin")
    assert "Votre établissement va relier votre compte" in page.content()
    link = PendingLink.objects.get(uid="martin")
    assert set(link.candidates.all()) == {bworld.guardian, bworld.guardian2}
    assert link.school == bworld.school
    assert not SocialAccount.objects.exists()


def test_blocked_account_stays_blocked(page, live_server, bworld, op_idp):
    op_idp(bworld)
    bworld.guardian.is_active = False
    bworld.guardian.save()
    sign_in_at_op(page, live_server, "sophie")
    assert "bloqué" in page.content()
    assert not SocialAccount.objects.exists()
    assert AuditEntry.objects.filter(action="idp_sign_in_refused", target=bworld.guardian).exists()


def test_blocked_after_linking_stays_blocked(page, live_server, bworld, op_idp):
    op_idp(bworld)
    sign_in_at_op(page, live_server, "sophie")
    page.context.clear_cookies()
    bworld.guardian.is_active = False
    bworld.guardian.save()
    sign_in_at_op(page, live_server, "sophie")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url


def test_wrong_client_secret_is_a_clear_page_and_links_nobody(page, live_server, bworld, op_idp):
    op_idp(bworld, secret="not-the-secret")
    sign_in_at_op(page, live_server, "sophie")
    assert "n’a pas pu aboutir" in page.content() or "n'a pas pu aboutir" in page.content()
    assert not SocialAccount.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="idp_link").exists()
