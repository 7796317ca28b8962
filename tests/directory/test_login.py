"""Login flows: activation codes, closed sign-up, MFA for staff, rate limits,
password reset."""

import time
from datetime import timedelta

import pytest
from allauth.account import app_settings as account_settings
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from ent.directory.actions import do_issue_activation_code
from ent.directory.models import ActivationCode, User
from ent.directory.sessions import LOGGED_IN_AT
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "un-nouveau-mot-de-passe-42"


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _activate(client, username, code):
    return client.post(reverse("activate"), {"username": username, "code": code})


def test_activation_code_works_once(client, world):
    code = do_issue_activation_code(world.pupil)
    response = _activate(client, "ELEVE_T", code.lower().replace("-", ""))  # forgiving typing
    assert response.status_code == 302 and response.url == reverse("activate_password")
    response = client.post(reverse("activate_password"), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    world.pupil.refresh_from_db()
    assert world.pupil.check_password(NEW_PASSWORD)
    assert ActivationCode.objects.get(user=world.pupil).used_at is not None

    client.logout()
    response = _activate(client, "eleve_t", code)
    assert response.status_code == 200
    assert "already used" in response.content.decode() or "déjà" in response.content.decode()


def test_activation_code_expires(client, world):
    code = do_issue_activation_code(world.pupil)
    ActivationCode.objects.filter(user=world.pupil).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = _activate(client, "eleve_t", code)
    assert response.status_code == 200
    assert ACTIVATION_SESSION_KEY not in client.session


ACTIVATION_SESSION_KEY = "ent_activation_code_id"


@pytest.mark.parametrize("username, code", [("eleve_t", "AAAA-BBBB"), ("nobody", "AAAA-BBBB"), ("eleve_t", "")])
def test_wrong_code_refused_and_nothing_changes(client, world, username, code):
    do_issue_activation_code(world.pupil)
    before = world.pupil.password
    response = _activate(client, username, code)
    assert response.status_code == 200
    assert ACTIVATION_SESSION_KEY not in client.session
    world.pupil.refresh_from_db()
    assert world.pupil.password == before
    assert ActivationCode.objects.get(user=world.pupil).used_at is None


def test_new_code_revokes_the_old_one(client, world):
    old = do_issue_activation_code(world.guardian)
    new = do_issue_activation_code(world.guardian)
    assert _activate(client, "parent_t", old).status_code == 200
    assert _activate(client, "parent_t", new).status_code == 302


def test_password_step_needs_a_code_first(client, world):
    response = client.get(reverse("activate_password"))
    assert response.status_code == 302 and response.url == reverse("activate")


def test_password_step_rejects_weak_password_and_keeps_code(client, world):
    code = do_issue_activation_code(world.pupil)
    _activate(client, "eleve_t", code)
    response = client.post(reverse("activate_password"), {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert ActivationCode.objects.get(user=world.pupil).used_at is None


def test_activation_rate_limited(client, world):
    do_issue_activation_code(world.pupil)
    statuses = [_activate(client, "eleve_t", "ZZZZ-ZZZZ").status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5
    assert statuses[-1] == 429


def test_activation_wrong_method(client, db):
    assert client.put(reverse("activate")).status_code == 405


def test_signup_is_closed(client, db):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    client.post(
        "/accounts/signup/", {"username": "intruder", "password1": "x-very-long-pw-1", "password2": "x-very-long-pw-1"}
    )
    assert not User.objects.filter(username="intruder").exists()


def test_login_with_username_or_email(client, world):
    response = client.post("/accounts/login/", {"login": "parent_t", "password": PASSWORD})
    assert response.status_code == 302
    client.logout()
    response = client.post("/accounts/login/", {"login": "sophie@example.org", "password": PASSWORD})
    assert response.status_code == 302


def test_login_rate_limit_gives_429(client, world, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "5/m/ip"}
    statuses = [
        client.post("/accounts/login/", {"login": "parent_t", "password": "wrong"}).status_code for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]


def test_failed_logins_lock_the_account_out(client, world):
    for _ in range(5):
        client.post("/accounts/login/", {"login": "parent_t", "password": "wrong"})
    # Even the right password is refused during the lockout.
    response = client.post("/accounts/login/", {"login": "parent_t", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors


def test_mfa_required_for_staff(client, world, login_as):
    login_as(world.vie_scolaire, mfa_done=False)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    # The MFA set-up pages stay reachable (allauth first asks for the password again).
    response = client.get(reverse("mfa_activate_totp"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))


def test_mfa_required_for_territory_admin(client, world, login_as):
    login_as(world.admin, mfa_done=False)
    assert client.get(reverse("home")).url == reverse("mfa_activate_totp")


def test_staff_with_totp_gets_through(client, world, login_as):
    Authenticator.objects.create(user=world.direction, type=Authenticator.Type.TOTP, data={"secret": "x"})
    login_as(world.direction, mfa_done=False)
    assert client.get(reverse("home")).status_code == 200


def test_families_and_teachers_are_not_forced_to_mfa(client, world, login_as):
    for persona in ("guardian", "teacher", "pupil"):
        login_as(world.personas()[persona], mfa_done=False)
        assert client.get(reverse("home")).status_code == 200


def test_demo_staff_exempt_only_in_demo_mode(client, world, login_as, settings):
    User.objects.filter(id=world.vie_scolaire.id).update(is_demo=True)
    settings.ENT_DEMO_MODE = False
    login_as(User.objects.get(id=world.vie_scolaire.id), mfa_done=False)
    assert client.get(reverse("home")).status_code == 302
    settings.ENT_DEMO_MODE = True
    login_as(User.objects.get(id=world.vie_scolaire.id), mfa_done=False)
    assert client.get(reverse("home")).status_code == 200


def test_password_reset_by_email_for_adults(client, world):
    response = client.post("/accounts/password/reset/", {"email": "sophie@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "sophie@example.org" in mail.outbox[0].to


def test_staff_resets_a_pupil_password(client, world, login_as):
    login_as(world.vie_scolaire)
    response = client.post(reverse("pupil_reset_code", args=[world.pupil.id]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]  # plus "private" for every signed-in page (ent/http.py)
    code = response.context["code"]
    world.pupil.refresh_from_db()
    assert not world.pupil.has_usable_password()
    client.logout()
    assert _activate(client, "eleve_t", code).status_code == 302


@pytest.mark.parametrize("persona", ["teacher", "guardian", "staff_b", "referent", "outsider_parent"])
def test_others_cannot_reset_a_pupil_password(client, world, login_as, persona):
    login_as(world.personas()[persona])
    before = world.pupil.password
    response = client.post(reverse("pupil_reset_code", args=[world.pupil.id]))
    assert response.status_code == 404
    world.pupil.refresh_from_db()
    assert world.pupil.password == before
    assert not ActivationCode.objects.filter(user=world.pupil).exists()


def test_reset_code_wrong_method(client, world, login_as):
    login_as(world.vie_scolaire)
    assert client.get(reverse("pupil_reset_code", args=[world.pupil.id])).status_code == 405


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_staff_set_up_mfa_right_after_login_without_typing_the_password_again(client, world):
    response = client.post("/accounts/login/", {"login": "cpe_t", "password": PASSWORD})
    assert response.status_code == 302
    response = client.get(reverse("home"))
    assert response.url == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_changing_an_existing_mfa_setup_still_asks_for_the_password(client, world, login_as):
    Authenticator.objects.create(user=world.vie_scolaire, type=Authenticator.Type.TOTP, data={"secret": "x"})
    login_as(world.vie_scolaire)
    response = client.get(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))


def test_first_mfa_setup_long_after_login_asks_for_the_password(client, world, login_as):
    login_as(world.vie_scolaire, mfa_done=False)  # a session without a fresh login record
    response = client.get(reverse("mfa_activate_totp"))
    assert response.url.startswith(reverse("account_reauthenticate"))


def test_first_mfa_setup_after_the_login_window_asks_for_the_password(client, world):
    # The login's own stamp (ent.directory.sessions.LOGGED_IN_AT), not allauth's private records.
    assert client.post("/accounts/login/", {"login": "cpe_t", "password": PASSWORD}).status_code == 302
    session = client.session
    assert time.time() - session[LOGGED_IN_AT] < 60
    session[LOGGED_IN_AT] -= account_settings.REAUTHENTICATION_TIMEOUT + 1
    session.save()
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_reauthenticate"))
