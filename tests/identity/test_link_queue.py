"""The school office's queue: link, dismiss, unlink; bad input changes nothing;
another school's office never sees an entry (404)."""

import pytest
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from ent.directory.models import AuditEntry
from ent.identity.models import PendingLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(idworld):
    link = PendingLink.objects.create(
        provider=idworld.educonnect,
        uid="ec-123",
        profile="parent",
        attributes={"nom": ["Martin"], "_names": {"last_name": "Martin"}},
        school=idworld.school,
        reason="several",
    )
    link.candidates.set([idworld.guardian, idworld.guardian2])
    return link


def test_office_sees_the_preview_and_candidates(idworld, pending, login_as):
    response = login_as(idworld.vie_scolaire).get(reverse("identity_pending_detail", args=[pending.id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "nom" in body and "Martin" in body
    assert idworld.guardian.username in body and idworld.guardian2.username in body


def test_office_links_a_candidate(idworld, pending, login_as):
    client = login_as(idworld.vie_scolaire)
    response = client.post(reverse("identity_pending_link", args=[pending.id]), {"person": idworld.guardian2.id})
    assert response.status_code == 302
    account = SocialAccount.objects.get(uid="ec-123")
    assert account.user == idworld.guardian2 and account.provider == "educonnect-test"
    pending.refresh_from_db()
    assert pending.status == "linked" and pending.resolved_by == idworld.vie_scolaire
    assert AuditEntry.objects.filter(action="idp_link", target=idworld.guardian2, actor=idworld.vie_scolaire).exists()


def test_office_links_by_username(idworld, pending, login_as):
    client = login_as(idworld.direction)
    client.post(reverse("identity_pending_link", args=[pending.id]), {"username": idworld.guardian_nojustify.username})
    assert SocialAccount.objects.get(uid="ec-123").user == idworld.guardian_nojustify


def test_nobody_chosen_is_a_clear_error(idworld, pending, login_as):
    response = login_as(idworld.vie_scolaire).post(reverse("identity_pending_link", args=[pending.id]), {})
    assert response.status_code == 400
    assert "Choisissez la personne" in response.content.decode()
    assert not SocialAccount.objects.exists()


def test_unknown_username_is_a_clear_error(idworld, pending, login_as):
    response = login_as(idworld.vie_scolaire).post(
        reverse("identity_pending_link", args=[pending.id]), {"username": "personne"}
    )
    assert response.status_code == 400
    assert not SocialAccount.objects.exists()


def test_person_of_another_school_cannot_be_picked(idworld, pending, login_as):
    response = login_as(idworld.vie_scolaire).post(
        reverse("identity_pending_link", args=[pending.id]), {"person": idworld.parent_b.id}
    )
    assert response.status_code == 404
    assert not SocialAccount.objects.exists()
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_another_schools_office_gets_404(idworld, pending, login_as):
    client = login_as(idworld.staff_b)
    assert client.get(reverse("identity_pending_detail", args=[pending.id])).status_code == 404
    assert (
        client.post(reverse("identity_pending_link", args=[pending.id]), {"person": idworld.guardian.id}).status_code
        == 404
    )
    assert "ec-123" not in client.get(reverse("identity_queue")).content.decode()
    assert not SocialAccount.objects.exists()


def test_the_referent_is_not_the_office(idworld, pending, login_as):
    assert login_as(idworld.referent).get(reverse("identity_queue")).status_code == 404


def test_an_identity_linked_already_is_not_linked_twice(idworld, pending, login_as):
    SocialAccount.objects.create(user=idworld.guardian, provider="educonnect-test", uid="ec-123")
    client = login_as(idworld.vie_scolaire)
    client.post(reverse("identity_pending_link", args=[pending.id]), {"person": idworld.guardian2.id})
    assert SocialAccount.objects.get(uid="ec-123").user == idworld.guardian
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_dismiss(idworld, pending, login_as):
    login_as(idworld.vie_scolaire).post(reverse("identity_pending_dismiss", args=[pending.id]))
    pending.refresh_from_db()
    assert pending.status == "dismissed"
    assert AuditEntry.objects.filter(action="idp_link_dismissed").exists()


def test_unlink_is_audited_and_keeps_the_password(idworld, login_as):
    account = SocialAccount.objects.create(user=idworld.pupil, provider="educonnect-test", uid="ec-lea")
    client = login_as(idworld.vie_scolaire)
    assert client.post(reverse("identity_unlink", args=[account.id])).status_code == 302
    assert not SocialAccount.objects.exists()
    assert AuditEntry.objects.filter(action="idp_unlink", target=idworld.pupil, actor=idworld.vie_scolaire).exists()
    idworld.pupil.refresh_from_db()
    assert idworld.pupil.has_usable_password()


def test_unlink_by_another_school_is_404(idworld, login_as):
    account = SocialAccount.objects.create(user=idworld.pupil, provider="educonnect-test", uid="ec-lea")
    assert login_as(idworld.staff_b).post(reverse("identity_unlink", args=[account.id])).status_code == 404
    assert SocialAccount.objects.exists()


def test_people_cannot_remove_their_own_link_from_allauths_page(idworld, login_as):
    account = SocialAccount.objects.create(user=idworld.pupil, provider="educonnect-test", uid="ec-lea")
    login_as(idworld.pupil).post(reverse("socialaccount_connections"), {"account": account.id})
    assert SocialAccount.objects.filter(id=account.id).exists()
