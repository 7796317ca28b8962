"""The matching rules: an external identity names one person of the territory,
or nobody is linked (ent/identity/matching.py)."""

import pytest

from ent.directory.models import Enrollment
from ent.identity.matching import ProfileNotAllowed, attribute_values, match_identity
from tests.factories import link_guardian, make_pupil, make_territory, make_user
from tests.identity.conftest import PUPIL_INE, SIBLING_INE, STAFF_ID, make_idp

pytestmark = pytest.mark.django_db


def pupil_attrs(ine=PUPIL_INE):
    return {"FrEduCtPersonAffiliation": ["eleve"], "FrEduCtEleveINE": [ine], "nom": ["Martin"], "prenom": ["Léa"]}


def parent_attrs(last="Martin", first="Sophie", children=(PUPIL_INE,)):
    return {
        "FrEduCtPersonAffiliation": ["responsable"],
        "FrEduCtEleveINE": list(children),
        "nom": [last],
        "prenom": [first],
    }


def test_oidc_claims_are_merged_into_lists():
    raw = {"id_token": {"sub": "x", "nom": "Martin"}, "userinfo": {"FrEduCtEleveINE": ["A", "B"], "empty": ""}}
    assert attribute_values(raw) == {"sub": ["x"], "nom": ["Martin"], "FrEduCtEleveINE": ["A", "B"], "empty": []}


def test_pupil_matches_by_national_id(idworld):
    match = match_identity(idworld.educonnect, pupil_attrs())
    assert match.person == idworld.pupil
    assert match.school == idworld.school


def test_pupil_of_another_territory_is_nobody(idworld):
    other = make_idp(make_territory("Ailleurs"), provider_id="elsewhere")
    match = match_identity(other, pupil_attrs())
    assert match.person is None and match.candidates == []


def test_pupil_who_left_is_not_linked(idworld):
    Enrollment.objects.filter(pupil=idworld.pupil).update(left_on="2026-10-01")
    match = match_identity(idworld.educonnect, pupil_attrs())
    assert match.person is None


def test_name_alone_links_nobody(idworld):
    attrs = pupil_attrs()
    del attrs["FrEduCtEleveINE"]
    assert match_identity(idworld.educonnect, attrs).person is None


def test_two_pupils_with_one_national_id_are_candidates_not_a_match(idworld):
    twin = make_pupil(idworld.other_class, external_id=PUPIL_INE)
    match = match_identity(idworld.educonnect, pupil_attrs())
    assert match.person is None
    assert set(match.candidates) == {idworld.pupil, twin}


def test_parent_matches_by_children_and_name(idworld):
    match = match_identity(idworld.educonnect, parent_attrs())
    assert match.person == idworld.guardian


def test_parent_name_is_compared_without_accents_or_case(idworld):
    idworld.guardian.first_name = "Sophié"
    idworld.guardian.save()
    assert match_identity(idworld.educonnect, parent_attrs(last="MARTIN", first="sophie")).person == idworld.guardian


def test_parent_with_the_right_child_but_another_name_is_nobody(idworld):
    match = match_identity(idworld.educonnect, parent_attrs(last="Bernard", first="Inès"))
    assert match.person is None and match.candidates == []


def test_parent_without_children_asserted_is_nobody_even_by_name(idworld):
    assert match_identity(idworld.educonnect, parent_attrs(children=())).person is None


def test_two_guardians_of_the_same_name_are_two_candidates(idworld):
    # Mother and father share the surname; without a first name both fit.
    attrs = parent_attrs()
    del attrs["prenom"]
    match = match_identity(idworld.educonnect, attrs)
    assert match.person is None
    assert set(match.candidates) == {idworld.guardian, idworld.guardian2}


def test_parent_found_through_a_child_in_the_other_school(idworld):
    assert match_identity(idworld.educonnect, parent_attrs(children=[SIBLING_INE])).person == idworld.guardian


def test_staff_match_by_staff_id_on_a_staff_idp(idworld):
    match = match_identity(idworld.academie, {"uid": [STAFF_ID]})
    assert match.person == idworld.vie_scolaire
    assert match.profile == "staff"


def test_staff_id_of_someone_without_a_role_here_is_nobody(idworld):
    make_user("not_staff", external_id="someone.else")
    assert match_identity(idworld.academie, {"uid": ["someone.else"]}).person is None


def test_profile_the_idp_may_not_sign_in_is_refused(idworld):
    idworld.educonnect.allows_parents = False
    idworld.educonnect.save()
    with pytest.raises(ProfileNotAllowed):
        match_identity(idworld.educonnect, parent_attrs())


def test_unknown_profile_value_is_refused(idworld):
    with pytest.raises(ProfileNotAllowed):
        match_identity(idworld.educonnect, {"FrEduCtPersonAffiliation": ["autre"], "FrEduCtEleveINE": [PUPIL_INE]})


def test_email_is_never_used(idworld):
    attrs = {"FrEduCtPersonAffiliation": ["responsable"], "email": [idworld.guardian.email], "nom": ["Martin"]}
    assert match_identity(idworld.educonnect, attrs).person is None


def test_guardian_of_a_pupil_outside_the_territory_is_nobody(idworld):
    other_territory = make_territory("Ailleurs")
    other = make_idp(other_territory, provider_id="elsewhere")
    link_guardian(make_user(first_name="Sophie", last_name="Martin"), idworld.pupil)
    assert match_identity(other, parent_attrs()).person is None
