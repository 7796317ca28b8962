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


# --- Directory management, imports and privacy (issue 8) ------------------------


def access_managed_school(user, school_id) -> School:
    """A school whose directory this person manages (its direction, secretary or
    vie scolaire, or an admin of its territory). Its référent numérique and
    everybody else get 404."""
    school = access_school(user, school_id, for_write=True)
    if not can_manage_school(user, school):
        raise Http404
    return school


def access_import_job(user, job_id):
    from ent.directory.models import ImportJob

    job_id = _int_id(job_id)
    job = ImportJob.objects.select_related("school", "created_by").filter(id=job_id).first()
    if job is None:
        raise Http404
    if not can_manage_school(user, job.school):
        raise Http404
    return job


def access_letter_batch(user, batch_id):
    """A school's login letters: only its directory managers may download them."""
    from ent.directory.models import LetterBatch

    batch_id = _int_id(batch_id)
    batch = LetterBatch.objects.select_related("school").filter(id=batch_id).first()
    if batch is None:
        raise Http404
    if not can_manage_school(user, batch.school):
        raise Http404
    return batch


def managed_schools(user):
    """The schools whose directory this person manages (see can_manage_school)."""
    from django.db.models import Q

    roles = user.roles
    return School.objects.filter(
        Q(id__in=roles.staff_school_ids(*DIRECTORY_MANAGERS)) | Q(territory_id__in=roles.admin_territory_ids)
    )


def people_of_school(school):
    """Everybody the school's directory managers may act on: current pupils (and
    those who left this year), their guardians, teachers of this year's classes
    and groups, and the school's staff. `school` may be a queryset of schools."""
    from django.db.models import Q, QuerySet

    from ent.directory.models import Enrollment, Guardianship, TeachingAssignment

    schools = school if isinstance(school, QuerySet) else School.objects.filter(id=school.id)
    pupils = Enrollment.objects.filter(school_class__school__in=schools, school_class__year__is_current=True).values(
        "pupil_id"
    )
    return User.objects.filter(
        Q(id__in=pupils)
        | Q(id__in=Guardianship.objects.filter(pupil_id__in=pupils).values("guardian_id"))
        | Q(
            id__in=TeachingAssignment.objects.filter(
                Q(school_class__school__in=schools, school_class__year__is_current=True)
                | Q(group__school__in=schools, group__year__is_current=True)
            ).values("teacher_id")
        )
        | Q(id__in=StaffRole.objects.filter(school__in=schools).values("user_id"))
    )


def access_managed_person(user, person_id) -> User:
    """A person of any school this user manages (a territory admin reaches the
    whole territory: duplicates often sit in two schools); never themselves."""
    person_id = _int_id(person_id)
    if person_id == user.pk:
        raise Http404
    person = people_of_school(managed_schools(user)).filter(id=person_id).first()
    if person is None:
        raise Http404
    return person


def access_school_person(user, school, person_id) -> User:
    """A person of a school this user manages; never the user themselves (nobody
    blocks or merges their own account)."""
    person_id = _int_id(person_id)
    if person_id == user.pk:
        raise Http404
    person = people_of_school(school).filter(id=person_id).first()
    if person is None:
        raise Http404
    return person


def access_mfa_resettable_person(user, school, person_id) -> User:
    """A person whose second factors this user may reset: a person of a school
    they manage, never themselves (a stolen session must not remove the factor
    that guards it), never a territory admin (another admin does that)."""
    from ent.directory.models import TerritoryAdmin

    person = access_school_person(user, school, person_id)
    if TerritoryAdmin.objects.filter(user=person).exists():
        raise Http404
    return person


def access_school_pupil(user, school, pupil_id) -> User:
    """A pupil enrolled this year in a school this user manages (even one who
    already left: recording a departure twice is harmless)."""
    from ent.directory.models import Enrollment

    pupil_id = _int_id(pupil_id)
    if not Enrollment.objects.filter(
        pupil_id=pupil_id, school_class__school=school, school_class__year__is_current=True
    ).exists():
        raise Http404
    return User.objects.get(id=pupil_id)


def access_data_export(user, export_id):
    """Only the person who asked for their data may download it."""
    from ent.directory.models import DataExport

    export_id = _int_id(export_id)
    export = DataExport.objects.filter(id=export_id, user_id=user.pk).first()
    if export is None:
        raise Http404
    return export


def access_user_session(user, session_id):
    """One of this person's own signed-in devices ("Mes appareils"); anyone
    else's is the same 404 as a missing one."""
    from allauth.usersessions.models import UserSession

    row = UserSession.objects.filter(pk=session_id, user_id=user.pk).first()
    if row is None:
        raise Http404
    return row
