"""Access to single directory objects. Each function raises Http404 both when the
object does not exist and when the person may not see it, so nothing tells an
outsider that an id exists. Lists use the querysets' visible_to()."""

from django.http import Http404

from ent.directory.models import School, SchoolClass, StaffRole, User

# Staff roles that may change a school's directory (classes, accounts, codes).
DIRECTORY_MANAGERS = (StaffRole.Role.DIRECTION, StaffRole.Role.SECRETARY, StaffRole.Role.VIE_SCOLAIRE)


def _int_id(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def access_school(user, school_id, *, for_write=False) -> School:
    school_id = _int_id(school_id)
    qs = School.objects.administered_by(user) if for_write else School.objects.visible_to(user)
    school = qs.select_related("territory").filter(id=school_id).first()
    if school is None:
        raise Http404
    return school


def access_class(user, class_id, *, for_write=False) -> SchoolClass:
    class_id = _int_id(class_id)
    klass = SchoolClass.objects.visible_to(user).select_related("school", "year").filter(id=class_id).first()
    if klass is None:
        raise Http404
    if for_write and not can_manage_school(user, klass.school):
        raise Http404
    return klass


def access_pupil(user, pupil_id, *, for_write=False) -> User:
    pupil_id = _int_id(pupil_id)
    pupil = User.objects.pupils_visible_to(user).filter(id=pupil_id).first()
    if pupil is None:
        raise Http404
    if for_write and not any(
        can_manage_school(user, e.school_class.school)
        for e in pupil.enrollments.current().select_related("school_class__school")
    ):
        raise Http404
    return pupil


def access_person(user, person_id) -> User:
    person_id = _int_id(person_id)
    person = User.objects.visible_to(user).filter(id=person_id).first()
    if person is None:
        raise Http404
    return person


def access_child(user, child_id) -> User:
    """A child of this guardian (and only theirs: a separated parent sees only the
    children linked to them)."""
    child_id = _int_id(child_id)
    if child_id not in user.roles.child_ids:
        raise Http404
    return User.objects.get(id=child_id)


def can_manage_school(user, school) -> bool:
    roles = user.roles
    if school.id in roles.staff_school_ids(*DIRECTORY_MANAGERS):
        return True
    if school.territory_id in roles.admin_territory_ids:
        return True
    return False
