"""Login letters, blocking, departures, duplicate merge and the year rollover."""

import io
from datetime import date

import pytest
from django.urls import reverse
from pypdf import PdfReader

from ent.directory import letters, lifecycle
from ent.directory.actions import check_activation_code
from ent.directory.models import ActivationCode, Enrollment, Guardianship, SchoolClass, SchoolYear, User
from ent.errors import InvalidActivationCode
from tests.factories import link_guardian, make_class, make_pupil, make_user

pytestmark = pytest.mark.django_db


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_letters_pdf_has_one_page_per_pupil_and_per_family(world, client, login_as, settings):
    settings.SITE_URL = "https://ent.example.org"
    login_as(world.direction)
    response = client.post(reverse("login_letters", args=[world.school.id]), {"school_class": world.klass.id})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    pages = pdf_pages(b"".join(response.streaming_content))
    # 6e A: Léa (3 guardians) and Noé (1 guardian); all have passwords, so with
    # only_new unticked (a form without the box) everyone gets a letter.
    assert len(pages) == 2 + 3 + 1
    lea = next(p for p in pages if "eleve_t" in p)
    assert "https://ent.example.org" in lea
    sophie = next(p for p in pages if "parent_t" in p and "Sophie" in p)
    assert "Léa" in sophie
    # The printed code works, once, for that username.
    for page, user in ((lea, world.pupil), (sophie, world.guardian)):
        code = next(w for w in page.split() if len(w) == 9 and w[4] == "-")
        assert check_activation_code(user.username, code).user == user


def test_regenerating_letters_revokes_old_codes(world):
    out = io.BytesIO()
    first = letters.do_print_letters(world.school, out, by=world.direction, klass=world.klass, only_new=False)
    old = {ltr.person.username: ltr.code for ltr in first}
    second = letters.do_print_letters(world.school, io.BytesIO(), by=world.direction, klass=world.klass, only_new=False)
    new = {ltr.person.username: ltr.code for ltr in second}
    with pytest.raises(InvalidActivationCode):
        check_activation_code("eleve_t", old["eleve_t"])
    assert check_activation_code("eleve_t", new["eleve_t"]).user == world.pupil
    assert ActivationCode.objects.filter(user=world.pupil).usable().count() == 1


def test_only_new_accounts_get_letters_by_default(world):
    newbie = make_pupil(world.klass, "nouveau")
    newbie.set_unusable_password()
    newbie.save()
    planned = letters.plan_letters(world.school, klass=world.klass)
    assert [ltr.person for ltr in planned] == [newbie]


def test_letters_wrong_school_and_method(world, client, login_as):
    login_as(world.staff_b)
    assert client.post(reverse("login_letters", args=[world.school.id])).status_code == 404
    assert not ActivationCode.objects.exists()
    login_as(world.direction)
    assert client.put(reverse("login_letters", args=[world.school.id])).status_code == 405
    response = client.post(reverse("login_letters", args=[world.school.id]), {"school_class": "nope"})
    assert response.status_code == 200 and not ActivationCode.objects.exists()


def test_block_and_unblock_one_and_in_bulk(world, client, login_as):
    login_as(world.direction)
    url = reverse("accounts_block", args=[world.school.id])
    client.post(url, {"action": "block", "users": [world.pupil.id]})
    world.pupil.refresh_from_db()
    assert not world.pupil.is_active
    client.post(url, {"action": "block", "everyone": "on", "role": "pupils", "school_class": world.klass.id})
    assert not User.objects.get(id=world.outsider_pupil.id).is_active
    assert User.objects.get(id=world.other_pupil.id).is_active  # another class
    assert User.objects.get(id=world.guardian.id).is_active  # another role
    client.post(url, {"action": "unblock", "everyone": "on", "role": "pupils"})
    assert User.objects.filter(id__in=[world.pupil.id, world.outsider_pupil.id], is_active=True).count() == 2
    # Bad input: nothing ticked, nothing changes, a message.
    response = client.post(url, {"action": "block"}, follow=True)
    assert "Tick at least one" in response.content.decode() or "Cochez" in response.content.decode()
    # Nobody blocks themselves, and a person of another school is a 404.
    client.post(url, {"action": "block", "users": [world.direction.id]})
    assert User.objects.get(id=world.direction.id).is_active
    assert client.post(url, {"action": "block", "users": [world.pupil_b.id]}).status_code == 404
    assert User.objects.get(id=world.pupil_b.id).is_active
    login_as(world.pupil)
    assert client.get(reverse("accounts", args=[world.school.id])).status_code == 404


def test_blocked_person_cannot_log_in(world, client):
    lifecycle.do_set_accounts_active([world.guardian], active=False, by=world.direction)
    response = client.post(reverse("account_login"), {"login": "parent_t", "password": "correct-horse-battery-9"})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 302)


def test_pupil_leaving_ends_access_and_guardians_access_to_that_school(world, client, login_as):
    assert world.school.id in world.guardian.roles.children_school_ids
    login_as(world.direction)
    response = client.post(reverse("pupil_leave", args=[world.school.id, world.pupil.id]))
    assert response.status_code == 302
    pupil = User.objects.get(id=world.pupil.id)
    assert not pupil.roles.is_pupil
    guardian = User.objects.get(id=world.guardian.id)
    # Léa left the collège; her brother is still at école B.
    assert world.school.id not in guardian.roles.children_school_ids
    assert guardian.roles.child_ids == {world.sibling.id}
    guardian2 = User.objects.get(id=world.guardian2.id)
    assert not guardian2.roles.is_parent  # no child left anywhere
    login_as(guardian2)
    assert client.get(reverse("school_detail", args=[world.school.id])).status_code == 404
    login_as(world.direction)
    assert client.post(reverse("pupil_leave", args=[world.school.id, world.pupil.id])).status_code == 302
    assert client.post(reverse("pupil_leave", args=[world.school.id, world.pupil_b.id])).status_code == 404


def test_duplicate_parent_in_two_schools_becomes_one_account(world, client, login_as):
    # The same father imported once per school, for each of his children.
    dad_a = make_user("marc.dupuis", first_name="Marc", last_name="Dupuis", phone="06 11 22 33 44")
    dad_b = make_user("marc.dupuis2", first_name="Marc", last_name="DUPUIS", phone="+33 6 11 22 33 44")
    child_a = make_pupil(world.klass, "jade.dupuis")
    child_b = make_pupil(world.class_b, "tom.dupuis")
    link_guardian(dad_a, child_a)
    link_guardian(dad_b, child_b)
    assert (dad_a, dad_b) in lifecycle.find_duplicates(User.objects.filter(id__in=[dad_a.id, dad_b.id]))
    login_as(world.admin)
    page = client.get(reverse("accounts", args=[world.school.id])).content.decode()
    response = client.post(reverse("accounts_merge", args=[world.school.id]), {"keep": dad_a.id, "duplicate": dad_b.id})
    assert response.status_code == 302
    dad = User.objects.get(id=dad_a.id)
    assert dad.roles.child_ids == {child_a.id, child_b.id}
    assert dad.roles.children_school_ids == {world.school.id, world.school_b.id}
    assert not User.objects.get(id=dad_b.id).is_active
    assert not Guardianship.objects.filter(guardian_id=dad_b.id).exists()
    assert "Marc" in page
    # The school's own staff cannot reach the other school's account.
    other = make_user("marc.dupuis3", first_name="Marc", last_name="Dupuis")
    link_guardian(other, make_pupil(world.class_b))
    login_as(world.direction)
    response = client.post(reverse("accounts_merge", args=[world.school.id]), {"keep": dad.id, "duplicate": other.id})
    assert response.status_code == 404
    assert User.objects.get(id=other.id).is_active
    # Pupils are never merged.
    response = client.post(
        reverse("accounts_merge", args=[world.school.id]),
        {"keep": world.pupil.id, "duplicate": world.outsider_pupil.id},
        follow=True,
    )
    assert User.objects.get(id=world.outsider_pupil.id).is_active


def test_rollover_preview_and_apply(world, client, login_as):
    school = world.school_b  # primary: CM1 → CM2
    cp = make_class(school, "CP", "CP")
    cm2 = make_class(school, "CM2", "CM2")
    tiny = make_pupil(cp, "petit")
    big = make_pupil(cm2, "grand")
    login_as(world.staff_b)
    page = client.get(reverse("rollover", args=[school.id])).content.decode()
    assert "CE1" in page and "2027-2028" in page
    response = client.post(reverse("rollover", args=[school.id]), {})
    assert response.status_code == 200  # not confirmed: nothing happens
    assert SchoolYear.objects.filter(school=school).count() == 1
    response = client.post(reverse("rollover", args=[school.id]), {"confirm": "on"})
    assert response.status_code == 302
    old = SchoolYear.objects.get(school=school, name="2026-2027")
    new = SchoolYear.objects.get(school=school, is_current=True)
    assert (old.is_closed, old.is_current, new.name) == (True, False, "2027-2028")
    assert User.objects.get(id=tiny.id).roles.pupil_class_ids == {SchoolClass.objects.get(year=new, name="CE1").id}
    assert not User.objects.get(id=big.id).roles.is_pupil
    assert Enrollment.objects.get(pupil=big).left_on == date(2027, 7, 4)
    sibling = User.objects.get(id=world.sibling.id)
    assert SchoolClass.objects.get(id=next(iter(sibling.roles.pupil_class_ids))).name == "CM2"
    # The parent follows: still sees the child, in the new class.
    assert world.sibling.id in User.objects.get(id=world.guardian.id).roles.child_ids
    login_as(world.direction)
    assert client.post(reverse("rollover", args=[school.id]), {"confirm": "on"}).status_code == 404


def test_promoted_names():
    assert lifecycle.promoted_name("6e A", "6e", "5e") == "5e A"
    assert lifecycle.promoted_name("CE2", "CE2", "CM1") == "CM1"
    assert lifecycle.promoted_name("6EME 2", "6e", "5e") == "5EME 2"
