"""Who may see and change what in absences: the one place for these rules.

- pupil: their own absences (reasons included, they are theirs);
- guardian: their children's absences; only a guardian with the right to justify
  (Guardianship.may_justify_absences) declares notices, sees notices, documents
  and private (health) reasons;
- teacher: the pupils of the classes and groups they teach, never a private
  reason (they see "justified") nor a notice or its document; registers of those
  classes and groups, writable on the day itself;
- vie scolaire and direction ("managers"): everything of their own school;
  the audit log is for direction only;
- anyone else, including other staff roles and territory admins: nothing.

Single objects raise Http404 both when missing and when not visible; a person
who may see an object but not change it gets PermissionDenied (403).
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from absences.models import AbsenceEvent, AbsenceNotice, Reason, Register
from ent import pagecache
from ent.directory.models import Enrollment, Group, School, SchoolClass, StaffRole, User
from ent.directory.roles import roles_of
from ent.ids import int_id_or_404

MANAGER_ROLES = (StaffRole.Role.VIE_SCOLAIRE, StaffRole.Role.DIRECTION)


def managed_school_ids(user) -> frozenset:
    roles = roles_of(user)
    return roles.staff_school_ids(*MANAGER_ROLES) if roles else frozenset()


def direction_school_ids(user) -> frozenset:
    roles = roles_of(user)
    return roles.staff_school_ids(StaffRole.Role.DIRECTION) if roles else frozenset()


def justify_child_ids(user) -> frozenset:
    """Children for whom this guardian may declare and see notices (from the
    roles query: no query of its own)."""
    roles = roles_of(user)
    return roles.justify_child_ids if roles is not None else frozenset()


def manages(user, school_id) -> bool:
    """Vie scolaire or direction of this school."""
    return school_id in managed_school_ids(user)


def can_declare(user, pupil_id) -> bool:
    """A guardian who may justify this child's absences declares notices."""
    return pupil_id in justify_child_ids(user)


def may_see_notices(user, pupil_id) -> bool:
    """Whether a pupil's notices are worth reading for this person (their
    guardian who may justify, or a manager): no query for anyone else."""
    return can_declare(user, pupil_id) or bool(managed_school_ids(user))


def visible_school_ids(user) -> frozenset:
    roles = roles_of(user)
    return roles.school_ids if roles is not None else frozenset()


def visible_register_q(user):
    """Registers of the classes and groups the person teaches, and every register
    of the schools they manage: None when the person sees none."""
    roles = roles_of(user)
    if roles is None:
        return None
    return (
        Q(school_class_id__in=roles.taught_class_ids)
        | Q(group_id__in=roles.taught_group_ids)
        | Q(school_id__in=managed_school_ids(user))
    )


def _taught_pupils_q(roles, field):
    q = Q(pk__in=[])
    if roles.taught_class_ids:
        q |= Q(
            **{
                f"{field}__in": Enrollment.objects.current()
                .filter(school_class_id__in=roles.taught_class_ids)
                .values("pupil_id")
            }
        )
    if roles.taught_group_ids:
        q |= Q(
            **{
                f"{field}__in": Group.members.through.objects.filter(group_id__in=roles.taught_group_ids).values(
                    "user_id"
                )
            }
        )
    return q


def visible_pupil_q(user, pupil_field="pupil_id", school_field="school_id"):
    """A Q over rows about pupils (events): None when the person sees nothing."""
    roles = roles_of(user)
    if roles is None:
        return None
    q = Q(**{f"{pupil_field}__in": roles.child_ids})
    if roles.is_pupil:
        q |= Q(**{pupil_field: roles.user_id})
    if roles.is_teacher:
        q |= _taught_pupils_q(roles, pupil_field)
    managed = managed_school_ids(user)
    if managed:
        q |= Q(**{f"{school_field}__in": managed})
    return q


def visible_notice_q(user):
    roles = roles_of(user)
    if roles is None:
        return None
    return Q(pupil_id__in=justify_child_ids(user)) | Q(school_id__in=managed_school_ids(user))


def pupils_visible_to(user):
    """Pupils whose absence file this person may open."""
    roles = roles_of(user)
    if roles is None:
        return User.objects.none()
    q = Q(id__in=roles.child_ids)
    if roles.is_pupil:
        q |= Q(id=roles.user_id)
    if roles.is_teacher:
        q |= _taught_pupils_q(roles, "id")
    managed = managed_school_ids(user)
    if managed:
        q |= Q(id__in=Enrollment.objects.current().filter(school_class__school_id__in=managed).values("pupil_id"))
    return User.objects.filter(q)


def is_family_of(user, pupil_id) -> bool:
    roles = roles_of(user)
    return roles is not None and (pupil_id in roles.child_ids or pupil_id == roles.user_id)


def sees_private(user, pupil_id, school_id) -> bool:
    """Private (health) reasons and documents: the pupil, a guardian who may
    justify, the school's managers. Never teachers."""
    roles = roles_of(user)
    if roles is None:
        return False
    return pupil_id == roles.user_id or pupil_id in justify_child_ids(user) or school_id in managed_school_ids(user)


def is_staff_viewer(user, pupil_id) -> bool:
    """Staff looks are written to the audit log; a family's own looks are not."""
    return not is_family_of(user, pupil_id)


def current_enrollment(pupil_id, *, with_pupil=False):
    """Enrolments are directory rows (every change bumps "dir"): kept under its
    version, as the roles are (a family's notice reads it on every request)."""
    related = ("school_class__school", "school_class__year", *(("pupil",) if with_pupil else ()))

    def read():
        # first(): the lowest id, should a pupil hold two current enrolments.
        return Enrollment.objects.current().filter(pupil_id=pupil_id).select_related(*related).order_by("pk").first()

    key = f"absences:enrollment:v1:{pupil_id}:{int(with_pupil)}"
    return pagecache.cached_under(key, [pagecache.DIRECTORY], read, settings.AUTH_USER_CACHE_SECONDS)


def access_pupil_file(user, pupil_id) -> User:
    pupil_id = int_id_or_404(pupil_id)
    pupil = pupils_visible_to(user).filter(id=pupil_id).first()
    if pupil is None:
        raise Http404
    return pupil


def access_declarable_child(user, pupil_id):
    """A child this guardian may declare an absence for, and the child's current
    enrolment (the notice belongs to that school)."""
    pupil_id = int_id_or_404(pupil_id)
    if pupil_id not in justify_child_ids(user):
        raise Http404
    enrollment = current_enrollment(pupil_id, with_pupil=True)
    if enrollment is None:
        raise Http404
    return enrollment.pupil, enrollment


def access_managed_school(user, school_id) -> School:
    school_id = int_id_or_404(school_id)
    if school_id not in managed_school_ids(user):
        raise Http404
    return School.objects.select_related("territory").get(id=school_id)


def access_audit_school(user, school_id) -> School:
    school_id = int_id_or_404(school_id)
    if school_id not in direction_school_ids(user):
        raise Http404
    return School.objects.get(id=school_id)


def access_stats_class(user, class_id) -> SchoolClass:
    class_id = int_id_or_404(class_id)
    roles = roles_of(user)
    if roles is None:
        raise Http404
    klass = SchoolClass.objects.select_related("school", "year").filter(id=class_id).first()
    if klass is None:
        raise Http404
    if klass.id not in roles.taught_class_ids and klass.school_id not in managed_school_ids(user):
        raise Http404
    return klass


def home_dashboard(user):
    """The school whose day dashboard is a manager's absences home: the first
    they manage, for one who is nobody's teacher, guardian or pupil (the others
    see their own registers or family file first); else None."""
    roles = roles_of(user)
    managed = sorted(managed_school_ids(user))
    if not managed or roles.is_teacher or roles.is_parent or roles.is_pupil:
        return None
    return managed[0]


def is_teacher(user) -> bool:
    roles = roles_of(user)
    return roles is not None and roles.is_teacher


def home_pupil(user, *, chosen_child):
    """Whose absences the home page shows: the child chosen in the header for a
    guardian (`chosen_child()`, called only for one), the pupil themselves, else None."""
    roles = roles_of(user)
    if roles is None:
        return None
    if roles.is_parent:
        return chosen_child()
    if roles.is_pupil:
        return user
    return None


def access_register_targets(user):
    """The classes and groups (lists) this person may open a register for; 404
    for someone who may open none."""
    classes, groups = register_targets(user)
    classes, groups = list(classes), list(groups)
    if not classes and not groups:
        raise Http404
    return classes, groups


def register_targets(user):
    """Classes and groups (current year) this person may open a register for."""
    roles = roles_of(user)
    if roles is None:
        return SchoolClass.objects.none(), Group.objects.none()
    managed = managed_school_ids(user)
    classes = SchoolClass.objects.filter(Q(id__in=roles.taught_class_ids) | Q(school_id__in=managed)).filter(
        year__is_current=True
    )
    groups = Group.objects.filter(Q(id__in=roles.taught_group_ids) | Q(school_id__in=managed)).filter(
        year__is_current=True
    )
    return classes.select_related("school"), groups.select_related("school")


def taught_targets(user):
    """Classes and groups (current year) this person teaches."""
    roles = roles_of(user)
    if roles is None:
        return SchoolClass.objects.none(), Group.objects.none()
    classes = SchoolClass.objects.filter(id__in=roles.taught_class_ids, year__is_current=True)
    groups = Group.objects.filter(id__in=roles.taught_group_ids, year__is_current=True)
    return classes.select_related("school"), groups.select_related("school")


def taught_registers(user, day):
    """The registers of that day of the classes and groups the person teaches
    (a teacher who also manages the school sees their own lessons here)."""
    roles = roles_of(user)
    if roles is None:
        return Register.objects.none()
    return (
        Register.objects.filter(date=day)
        .filter(Q(school_class_id__in=roles.taught_class_ids) | Q(group_id__in=roles.taught_group_ids))
        .select_related("school_class", "group", "subject")
        .order_by("starts_at")
    )


def school_targets(user, school):
    """The classes and groups (current year) of a school the person manages,
    for vie scolaire's forms."""
    if not manages(user, school.id):
        return SchoolClass.objects.none(), Group.objects.none()
    classes = SchoolClass.objects.filter(school=school, year__is_current=True).select_related("school")
    groups = Group.objects.filter(school=school, year__is_current=True).select_related("school")
    return classes, groups


def school_pupils(user, school):
    """The pupils enrolled now in a school the person manages, by name."""
    if not manages(user, school.id):
        return User.objects.none()
    enrolled = Enrollment.objects.current().filter(school_class__school=school).values("pupil_id")
    return User.objects.filter(id__in=enrolled).order_by("last_name", "first_name")


def class_pupils(user, klass):
    """The pupils in a class now, for its statistics (after access_stats_class)."""
    return pupils_visible_to(user).filter(enrollments__school_class=klass, enrollments__left_on__isnull=True)


def access_reason(user, school_id, reason_id, *, for_write=False) -> Reason:
    """One of a school's reasons; changing it is for the school's managers."""
    reason_id = int_id_or_404(reason_id)
    reason = Reason.objects.visible_to(user).filter(school_id=school_id, id=reason_id).first()
    if reason is None:
        raise Http404
    if for_write and not manages(user, reason.school_id):
        raise PermissionDenied
    return reason


def _teaches(roles, register) -> bool:
    if register.school_class_id:
        return register.school_class_id in roles.taught_class_ids
    return register.group_id in roles.taught_group_ids


def can_edit_register(user, register) -> bool:
    """Vie scolaire any time; the teacher on the day itself."""
    roles = roles_of(user)
    if roles is None:
        return False
    if register.school_id in managed_school_ids(user):
        return True
    return _teaches(roles, register) and register.date == timezone.localdate()


def _register(register_id):
    # No ordering: the model's would cost its compilation for one row.
    read = (
        Register.objects.select_related("school", "school_class", "group", "subject")
        .filter(id=register_id)
        .order_by()
        .first
    )
    # Kept under the register's version (any save of it bumps "reg:<id>") and
    # the directory's (its school, class, group, subject). A save locks and
    # reads the row again (actions.registers.do_save_register).
    return pagecache.cached_under(
        f"absences:register:v1:{register_id}",
        [pagecache.DIRECTORY, pagecache.scope("reg", register_id)],
        read,
        settings.AUTH_USER_CACHE_SECONDS,
    )


def access_register(user, register_id, *, for_write=False):
    """The register, if this person takes or manages it."""
    register_id = int_id_or_404(register_id)
    roles = roles_of(user)
    if roles is None:
        raise Http404
    register = _register(register_id)
    if register is None:
        raise Http404
    if register.school_id not in managed_school_ids(user) and not _teaches(roles, register):
        raise Http404
    if for_write and not can_edit_register(user, register):
        raise PermissionDenied
    return register


def access_notice(user, notice_id, *, for_treat=False, for_document=False):
    """for_document: its attached document (404 for a notice without one)."""
    notice_id = int_id_or_404(notice_id)
    notice = (
        AbsenceNotice.objects.visible_to(user)
        .select_related("pupil", "school", "reason", "declared_by", "treated_by")
        .filter(id=notice_id)
        .first()
    )
    if notice is None:
        raise Http404
    if for_treat and notice.school_id not in managed_school_ids(user):
        raise PermissionDenied
    if for_document and not notice.document_key:
        raise Http404
    return notice


def access_event(user, event_id, *, for_write=False):
    event_id = int_id_or_404(event_id)
    event = (
        AbsenceEvent.objects.visible_to(user)
        .select_related("pupil", "school", "reason", "register__subject", "school_class", "notice")
        .filter(id=event_id)
        .first()
    )
    if event is None:
        raise Http404
    if for_write and event.school_id not in managed_school_ids(user):
        raise PermissionDenied
    return event
