"""Staff signing in through a real SAML IdP (SimpleSAMLphp, which asserts the
REFEDS MFA AuthnContextClassRef) still pass the ENT's own second factor, unless
the territory trusts that IdP for it and listed the value it asserts."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from ent.identity.models import IdentityProvider
from tests.identity.conftest import SAML_MFA_CONTEXT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACADEMIE = "Je suis personnel de l’Éducation nationale → Académie"


@pytest.fixture(autouse=True)
def _idp_in_form_action(settings, saml_idp):
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"], "form-action": ["'self'", saml_idp.url]}
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}


@pytest.fixture
def bworld(transactional_db):
    from tests.factories import build_world

    return build_world()


def academie(saml_app, world, **fields):
    return saml_app(
        world,
        idp_fields={
            "audience": IdentityProvider.Audience.STAFF,
            "label": "Académie",
            "allows_pupils": False,
            "allows_parents": False,
            "allows_staff": True,
            "attribute_map": {"staff_id": "uid", "last_name": "sn", "first_name": "givenName"},
            **fields,
        },
    )


def staff_signs_in(page, live_server, with_totp, world):
    if with_totp:
        Authenticator.objects.create(user=world.vie_scolaire, type=Authenticator.Type.TOTP, data={"secret": "x"})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name=ACADEMIE).click()
    page.fill("input[name=username]", "cpe")
    page.fill("input[name=password]", "password")
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/**")
    page.wait_for_load_state()
    return page.url.removeprefix(live_server.url)


@pytest.mark.parametrize("with_totp", [True, False])
def test_untrusted_idp_still_needs_the_ent_second_factor(page, live_server, bworld, saml_app, with_totp):
    academie(saml_app, bworld)  # trusts_second_factor stays off (the default)
    landed = staff_signs_in(page, live_server, with_totp, bworld)
    if with_totp:
        assert landed == reverse("mfa_authenticate")
    else:
        page.goto(f"{live_server.url}/")
        assert page.url.removeprefix(live_server.url) == reverse("mfa_activate_totp")


def test_trusted_idp_with_an_unlisted_value_still_needs_it(page, live_server, bworld, saml_app):
    academie(saml_app, bworld, trusts_second_factor=True, second_factor_acr_values=["urn:example:otp"])
    assert staff_signs_in(page, live_server, True, bworld) == reverse("mfa_authenticate")


@pytest.mark.parametrize("with_totp", [True, False])
def test_trusted_idp_that_asserts_a_second_factor_stands_for_it(page, live_server, bworld, saml_app, with_totp):
    academie(saml_app, bworld, trusts_second_factor=True, second_factor_acr_values=[SAML_MFA_CONTEXT])
    assert staff_signs_in(page, live_server, with_totp, bworld) == "/"
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/"
    assert "Scolaire" in page.content() or bworld.vie_scolaire.first_name in page.content()
