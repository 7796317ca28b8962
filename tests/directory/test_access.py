"""The directory's access layer for every persona, including the outsider family
and the other school."""

import pytest
from django.http import Http404

from ent import pagecache
from ent.directory import access
from ent.directory.models import School, SchoolClass, User
from tests.factories import make_pupil

pytestmark = pytest.mark.django_db

# persona -> attribute names of World for the expected visible pupils
VISIBLE_PUPILS = {
    "pupil": {"pupil"},
    "guardian": {"pupil", "sibling"},
    "guardian2": {"pupil"},
    "guardian_nojustify": {"pupil"},
    "teacher": {"pupil", "outsider_pupil"},
    "other_teacher": {"other_pupil"},
    "vie_scolaire": {"pupil", "outsider_pupil", "other_pupil"},
    "direction": {"pupil", "outsider_pupil", "other_pupil"},
    "referent": {"pupil", "outsider_pupil", "other_pupil"},
    "admin": {"pupil", "outsider_pupil", "other_pupil", "sibling", "pupil_b"},
    "outsider_parent": {"outsider_pupil"},
    "outsider_pupil": {"outsider_pupil"},
    "teacher_b": {"sibling", "pupil_b"},
    "staff_b": {"sibling", "pupil_b"},
    "parent_b": {"pupil_b"},
}

VISIBLE_SCHOOLS = {
    "pupil": {"school"},
    "guardian": {"school", "school_b"},
    "guardian2": {"school"},
    "teacher": {"school"},
    "other_teacher": {"school"},
    "vie_scolaire": {"school"},
    "direction": {"school"},
    "referent": {"school"},
    "admin": {"school", "school_b"},
    "outsider_parent": {"school"},
    "teacher_b": {"school_b"},
    "staff_b": {"school_b"},
    "parent_b": {"school_b"},
}

VISIBLE_CLASSES = {
    "pupil": {"klass"},
    "guardian": {"klass", "class_b"},
    "guardian2": {"klass"},
    "teacher": {"klass"},
    "other_teacher": {"other_class"},
    "vie_scolaire": {"klass", "other_class"},
    "direction": {"klass", "other_class"},
    "admin": {"klass", "other_class", "class_b"},
    "outsider_parent": {"klass"},
    "teacher_b": {"class_b"},
    "staff_b": {"class_b"},
    "parent_b": {"class_b"},
}


def _ids(world, names):
    return {getattr(world, n).id for n in names}


@pytest.mark.parametrize("persona", sorted(VISIBLE_PUPILS))
def test_pupils_visible_to(world, persona):
    user = world.personas()[persona]
    got = set(User.objects.pupils_visible_to(user).values_list("id", flat=True))
    assert got == _ids(world, VISIBLE_PUPILS[persona])


@pytest.mark.parametrize("persona", sorted(VISIBLE_SCHOOLS))
def test_schools_visible_to(world, persona):
    user = world.personas()[persona]
    got = set(School.objects.visible_to(user).values_list("id", flat=True))
    assert got == _ids(world, VISIBLE_SCHOOLS[persona])


@pytest.mark.parametrize("persona", sorted(VISIBLE_CLASSES))
def test_classes_visible_to(world, persona):
    user = world.personas()[persona]
    got = set(SchoolClass.objects.visible_to(user).values_list("id", flat=True))
    assert got == _ids(world, VISIBLE_CLASSES[persona])


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    anon = AnonymousUser()
    assert not School.objects.visible_to(anon).exists()
    assert not SchoolClass.objects.visible_to(anon).exists()
    assert not User.objects.pupils_visible_to(anon).exists()
    assert not User.objects.visible_to(anon).exists()


@pytest.mark.parametrize(
    "persona, pupil, allowed",
    [
        ("guardian", "pupil", True),
        ("guardian", "sibling", True),
        ("guardian2", "sibling", False),  # separated parent: only the child linked to them
        ("outsider_parent", "pupil", False),  # another family, same class
        ("teacher", "pupil", True),
        ("teacher", "other_pupil", False),  # same school, not their class
        ("teacher_b", "pupil", False),  # another school
        ("staff_b", "pupil", False),
        ("vie_scolaire", "other_pupil", True),
        ("vie_scolaire", "sibling", False),
        ("admin", "pupil_b", True),
        ("pupil", "outsider_pupil", False),
    ],
)
def test_access_pupil(world, persona, pupil, allowed):
    user = world.personas()[persona]
    target = getattr(world, pupil)
    if allowed:
        assert access.access_pupil(user, target.id) == target
    else:
        with pytest.raises(Http404):
            access.access_pupil(user, target.id)


def test_missing_and_forbidden_are_the_same_404(world):
    for bad in (999999, "abc", None):
        with pytest.raises(Http404):
            access.access_pupil(world.guardian, bad)
        with pytest.raises(Http404):
            access.access_school(world.guardian, bad)
        with pytest.raises(Http404):
            access.access_class(world.guardian, bad)
        with pytest.raises(Http404):
            access.access_person(world.guardian, bad)


@pytest.mark.parametrize(
    "persona, allowed",
    [
        ("vie_scolaire", True),
        ("direction", True),
        ("admin", True),
        ("referent", False),
        ("teacher", False),
        ("guardian", False),
        ("staff_b", False),
    ],
)
def test_write_access_to_pupil_and_class(world, persona, allowed):
    user = world.personas()[persona]
    if allowed:
        assert access.access_pupil(user, world.pupil.id, for_write=True) == world.pupil
        assert access.access_class(user, world.klass.id, for_write=True) == world.klass
    else:
        with pytest.raises(Http404):
            access.access_pupil(user, world.pupil.id, for_write=True)
        with pytest.raises(Http404):
            access.access_class(user, world.klass.id, for_write=True)


def test_write_access_to_school(world):
    assert access.access_school(world.direction, world.school.id, for_write=True) == world.school
    assert access.access_school(world.admin, world.school_b.id, for_write=True) == world.school_b
    for persona in ("teacher", "guardian", "staff_b"):
        with pytest.raises(Http404):
            access.access_school(world.personas()[persona], world.school.id, for_write=True)


def test_access_child_only_own_children(world):
    assert access.access_child(world.guardian, world.sibling.id) == world.sibling
    with pytest.raises(Http404):
        access.access_child(world.guardian2, world.sibling.id)
    with pytest.raises(Http404):
        access.access_child(world.outsider_parent, world.pupil.id)
    with pytest.raises(Http404):
        access.access_child(world.teacher, world.pupil.id)


@pytest.mark.parametrize(
    "persona, person, allowed",
    [
        ("guardian", "teacher", True),  # the teacher of the child's class
        ("guardian", "vie_scolaire", True),  # the child's school office
        ("guardian", "teacher_b", True),  # the sibling's teacher in school B
        ("guardian", "outsider_parent", False),  # never another family
        ("guardian", "other_teacher", False),  # a teacher who doesn't teach the children
        ("guardian2", "teacher_b", False),
        ("parent_b", "teacher", False),
        ("teacher", "guardian", True),  # guardians of pupils they teach
        ("teacher", "parent_b", False),
        ("teacher", "direction", True),  # colleagues
        ("teacher", "other_teacher", True),
        ("vie_scolaire", "outsider_parent", True),
        ("staff_b", "guardian2", False),
        ("staff_b", "guardian", True),  # parent of a pupil of school B
        ("pupil", "teacher", True),
        ("pupil", "outsider_parent", False),
        ("pupil", "outsider_pupil", False),
    ],
)
def test_people_visible_to(world, persona, person, allowed):
    user = world.personas()[persona]
    target = getattr(world, person)
    assert User.objects.visible_to(user).filter(id=target.id).exists() is allowed
    if not allowed:
        with pytest.raises(Http404):
            access.access_person(user, target.id)


def test_roles_and_helpers_cost_a_constant_number_of_queries(world, django_assert_num_queries):
    # A parent of many children in several classes: still one query for roles.
    for i in range(20):
        child = make_pupil(world.other_class, f"extra{i}")
        world.guardian.guardianships.create(pupil=child)
    guardian = User.objects.get(id=world.guardian.id)
    with django_assert_num_queries(1):
        roles = guardian.roles
    assert len(roles.child_ids) == 22
    with django_assert_num_queries(1):
        assert len(list(User.objects.pupils_visible_to(guardian))) == 22
    with django_assert_num_queries(1):
        list(User.objects.visible_to(guardian))
    teacher = User.objects.get(id=world.teacher.id)
    with django_assert_num_queries(2):  # roles + the list
        list(User.objects.pupils_visible_to(teacher))


def test_left_pupil_loses_access_and_guardian_loses_school(world):
    from datetime import date

    world.sibling.enrollments.update(left_on=date(2026, 10, 1))
    guardian = User.objects.get(id=world.guardian.id)
    assert guardian.roles.child_ids == {world.pupil.id}
    assert set(School.objects.visible_to(guardian)) == {world.school}
    sibling = User.objects.get(id=world.sibling.id)
    assert not sibling.roles.is_pupil


def test_multiple_roles(world):
    """A teacher who is also a parent sees both sides."""
    world.guardian.teaching_assignments.create(school_class=world.other_class)
    guardian = User.objects.get(id=world.guardian.id)
    assert guardian.roles.is_parent and guardian.roles.is_teacher
    got = set(User.objects.pupils_visible_to(guardian).values_list("id", flat=True))
    assert got == {world.pupil.id, world.sibling.id, world.other_pupil.id}


def test_roles_name_the_children_a_guardian_may_justify(world, django_assert_num_queries):
    # Read in the roles query itself (absences.access.justify_child_ids costs no query).
    from absences.access import justify_child_ids
    from ent.directory.models import Guardianship

    guardian = User.objects.get(id=world.guardian.id)
    stepparent = User.objects.get(id=world.guardian_nojustify.id)
    with django_assert_num_queries(2):
        assert guardian.roles.justify_child_ids == {world.pupil.id, world.sibling.id}
        assert stepparent.roles.child_ids == {world.pupil.id}
        assert stepparent.roles.justify_child_ids == frozenset()
        assert justify_child_ids(stepparent) == frozenset()
    Guardianship.objects.filter(guardian=world.guardian, pupil=world.sibling).update(may_justify_absences=False)
    # An .update() sends no signal: its writer says the directory changed, as the
    # actions do (roles are cached under the directory's version).
    pagecache.bump(pagecache.DIRECTORY)
    assert User.objects.get(id=world.guardian.id).roles.justify_child_ids == {world.pupil.id}
    assert justify_child_ids(world.pupil) == frozenset()  # a pupil, not a guardian
