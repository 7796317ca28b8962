"""Second factors for families who want them, required for staff (issue #25):
TOTP for a parent end to end, passkeys counted for staff, and recovery through
the school office (audited), not by email."""

import base64

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from ent.directory.models import AuditEntry
from tests.factories import PASSWORD
from tests.totp import totp_now

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _clear():
    cache.clear()


def test_the_totp_helper_gives_rfc_6238s_own_test_values():
    # RFC 6238 appendix B, SHA-1 (the secret "12345678901234567890"), 8 digits.
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp_now(secret, 59, digits=8) == "94287082"
    assert totp_now(secret, 1111111109, digits=8) == "07081804"
    assert totp_now(secret, 20000000000, digits=8) == "65353130"
    assert totp_now(secret, 59) == "287082"


def _password_login(client, username):
    return client.post(LOGIN, {"login": username, "password": PASSWORD})


def _activate_totp(client):
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200, page.status_code
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_now(secret)})
    assert response.status_code == 302, response.content[-1500:]
    return secret


def test_a_parent_may_add_totp_and_then_needs_it(world):
    client = Client()
    assert _password_login(client, "parent_t").status_code == 302
    # Optional for families: home opens without it.
    assert client.get("/").status_code == 200
    secret = _activate_totp(client)
    assert Authenticator.objects.filter(user=world.guardian, type=Authenticator.Type.TOTP).exists()

    client = Client()
    response = _password_login(client, "parent_t")
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # the password alone is not enough now
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000" if totp_now(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_staff_are_still_sent_to_set_up_a_second_factor(world, login_as):
    client = login_as(world.vie_scolaire, mfa_done=False)
    response = client.get("/")
    assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")


def test_a_passkey_counts_as_the_staff_second_factor(world, login_as):
    Authenticator.objects.create(user=world.vie_scolaire, type=Authenticator.Type.WEBAUTHN, data={})
    client = login_as(world.vie_scolaire, mfa_done=False)
    assert client.get("/").status_code == 200


def test_login_page_offers_passkey_sign_in(client, db):
    page = client.get(LOGIN).content.decode()
    assert 'id="passkey_login"' in page and reverse("mfa_login_webauthn") in page


# --- Recovery through the school office ---------------------------------------


def _reset_url(world, person):
    return reverse("accounts_reset_mfa", kwargs={"school_id": world.school.id, "user_id": person.id})


@pytest.fixture
def parent_with_totp(world):
    # guardian2: a parent of this school only (world.guardian has a child in school B too).
    Authenticator.objects.create(user=world.guardian2, type=Authenticator.Type.TOTP, data={"secret": "x"})
    Authenticator.objects.create(user=world.guardian2, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "y"})
    return world.guardian2


def test_office_resets_a_parents_second_factor_audited(world, login_as, parent_with_totp):
    client = login_as(world.vie_scolaire)
    accounts = client.get(reverse("accounts", kwargs={"school_id": world.school.id}))
    assert _reset_url(world, parent_with_totp) in accounts.content.decode()
    response = client.post(_reset_url(world, parent_with_totp))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=parent_with_totp).exists()
    entry = AuditEntry.objects.get(action="mfa.reset", target=parent_with_totp)
    assert entry.actor == world.vie_scolaire and entry.school == world.school
    assert entry.details == {"authenticators": 2}
    # The parent signs in with the password alone again.
    parent = Client()
    assert _password_login(parent, "parent2_t").url == reverse("home")


def test_office_of_another_school_gets_404_and_nothing_changes(world, login_as, parent_with_totp):
    client = login_as(world.staff_b)
    assert client.post(_reset_url(world, parent_with_totp)).status_code == 404
    other = reverse("accounts_reset_mfa", kwargs={"school_id": world.school_b.id, "user_id": parent_with_totp.id})
    assert client.post(other).status_code == 404
    assert Authenticator.objects.filter(user=parent_with_totp).count() == 2
    assert not AuditEntry.objects.filter(action="mfa.reset").exists()


def test_families_and_teachers_cannot_reset(world, login_as, parent_with_totp):
    for person in (world.teacher, world.guardian, world.pupil):
        client = login_as(person, the_client=Client())
        assert client.post(_reset_url(world, parent_with_totp)).status_code == 404
    assert Authenticator.objects.filter(user=parent_with_totp).count() == 2


def test_reset_wrong_method_and_own_account(world, login_as):
    Authenticator.objects.create(user=world.vie_scolaire, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client = login_as(world.vie_scolaire)
    assert client.get(_reset_url(world, world.guardian)).status_code == 405
    assert client.post(_reset_url(world, world.vie_scolaire)).status_code == 404
    assert Authenticator.objects.filter(user=world.vie_scolaire).exists()


def test_office_sees_lockouts_and_a_new_code_ends_them(world, login_as):
    for _ in range(5):
        Client(REMOTE_ADDR="203.0.113.5").post(LOGIN, {"login": "eleve_t", "password": "wrong"})
    client = login_as(world.vie_scolaire)
    page = client.get(reverse("accounts", kwargs={"school_id": world.school.id}), HTTP_ACCEPT_LANGUAGE="fr")
    text = page.content.decode()
    assert "verrouillé après des mots de passe erronés" in text
    assert AuditEntry.objects.filter(action="signin.locked", target=world.pupil).exists()
    # Another school's office does not see this pupil's lockout.
    other = login_as(world.staff_b, the_client=Client())
    text_b = other.get(reverse("accounts", kwargs={"school_id": world.school_b.id})).content.decode()
    assert "verrouillé après" not in text_b and "locked after" not in text_b
