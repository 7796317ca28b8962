"""Access to single directory objects. Each function raises Http404 both when the
object does not exist and when the person may not see it, so nothing tells an
outsider that an id exists. Lists use the querysets' visible_to()."""

from django.http import Http404

from ent.directory.models import School, SchoolClass, StaffRole, User
from ent.ids import int_id_or_404

# Staff roles that may change a school's directory (classes, accounts, codes).
DIRECTORY_MANAGERS = (StaffRole.Role.DIRECTION, StaffRole.Role.SECRETARY, StaffRole.Role.VIE_SCOLAIRE)


def access_school(user, school_id, *, for_write=False) -> School:
    school_id = int_id_or_404(school_id)
    qs = School.objects.administered_by(user) if for_write else School.objects.visible_to(user)
    school = qs.select_related("territory").filter(id=school_id).first()
    if school is None:
        raise Http404
    return school


def access_class(user, class_id, *, for_write=False) -> SchoolClass:
    class_id = int_id_or_404(class_id)
    klass = SchoolClass.objects.visible_to(user).select_related("school", "year").filter(id=class_id).first()
    if klass is None:
        raise Http404
    if for_write and not can_manage_school(user, klass.school):
        raise Http404
    return klass


def access_pupil(user, pupil_id, *, for_write=False) -> User:
    pupil_id = int_id_or_404(pupil_id)
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
    person_id = int_id_or_404(person_id)
    person = User.objects.visible_to(user).filter(id=person_id).first()
    if person is None:
        raise Http404
    return person


def access_child(user, child_id) -> User:
    """A child of this guardian (and only theirs: a separated parent sees only the
    children linked to them)."""
    child_id = int_id_or_404(child_id)
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

    job_id = int_id_or_404(job_id)
    job = ImportJob.objects.select_related("school", "created_by").filter(id=job_id).first()
    if job is None:
        raise Http404
    if not can_manage_school(user, job.school):
        raise Http404
    return job


def access_letter_batch(user, batch_id):
    """A school's login letters to download: only its directory managers, and
    only while the PDF is ready and not yet expired."""
    from ent.directory.models import LetterBatch

    batch_id = int_id_or_404(batch_id)
    batch = LetterBatch.objects.select_related("school").filter(id=batch_id).first()
    if batch is None:
        raise Http404
    if not can_manage_school(user, batch.school):
        raise Http404
    if not batch.is_downloadable:
        raise Http404
    return batch


def access_managed_schools(user):
    """The management home's schools (see managed_schools), by name; 404 for a
    person who manages none."""
    schools = managed_schools(user).select_related("territory").order_by("name")
    # Evaluated here: the page then lists the rows already read (one query).
    if not schools:
        raise Http404
    return schools


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
    person_id = int_id_or_404(person_id)
    if person_id == user.pk:
        raise Http404
    person = people_of_school(managed_schools(user)).filter(id=person_id).first()
    if person is None:
        raise Http404
    return person


def access_school_person(user, school, person_id) -> User:
    """A person of a school this user manages; never the user themselves (nobody
    blocks or merges their own account)."""
    person_id = int_id_or_404(person_id)
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

    pupil_id = int_id_or_404(pupil_id)
    if not Enrollment.objects.filter(
        pupil_id=pupil_id, school_class__school=school, school_class__year__is_current=True
    ).exists():
        raise Http404
    return User.objects.get(id=pupil_id)


def access_data_export(user, export_id):
    """Only the person who asked for their data may download it, while the
    file is ready and not yet expired."""
    from ent.directory.models import DataExport

    export_id = int_id_or_404(export_id)
    export = DataExport.objects.filter(id=export_id, user_id=user.pk).first()
    if export is None:
        raise Http404
    if not export.is_downloadable:
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


# --- What the pages read about what was accessed ------------------------------
# The views ask here rather than build querysets: each function starts from the
# person (and their roles) or from an object an access_* function returned.


def home_child(user, *, chosen_child):
    """The child a guardian's home page is about: `chosen_child()` gives the one
    chosen in the header (called only for a guardian: it reads their children);
    None for anyone else."""
    return chosen_child() if user.roles.is_parent else None


def home_lists(user, child=None) -> dict:
    """What the home page lists for each of the person's roles (`child`: the
    child a guardian chose in the header, one of their own)."""
    from django.db.models import Count, Q

    from ent.directory.models import Group, TeachingAssignment

    roles = user.roles
    lists = {}
    if roles.is_parent and child is not None:
        lists["child_classes"] = SchoolClass.objects.filter(
            id__in=roles.child_class_ids.get(child.id, ())
        ).select_related("school")
    if roles.is_pupil:
        lists["pupil_classes"] = SchoolClass.objects.filter(id__in=roles.pupil_class_ids).select_related("school")
        lists["pupil_teachers"] = (
            TeachingAssignment.objects.filter(
                Q(school_class_id__in=roles.pupil_class_ids) | Q(group_id__in=roles.pupil_group_ids)
            )
            .select_related("teacher", "subject")
            .order_by("teacher__last_name")
        )
    if roles.is_teacher:
        lists["taught_classes"] = (
            SchoolClass.objects.filter(id__in=roles.taught_class_ids)
            .select_related("school")
            .annotate(pupil_count=Count("enrollments", filter=Q(enrollments__left_on__isnull=True)))
        )
        lists["taught_groups"] = (
            Group.objects.filter(id__in=roles.taught_group_ids)
            .select_related("school")
            .annotate(pupil_count=Count("members"))
        )
    if roles.is_staff or roles.is_admin:
        schools = list(
            School.objects.administered_by(user)
            .select_related("territory")
            .annotate(class_count=Count("classes", filter=Q(classes__year__is_current=True)))
        )
        # The directory managers get links to the management pages (imports,
        # letters, accounts, new year); a référent numérique does not.
        for school in schools:
            school.can_manage = can_manage_school(user, school)
        lists["managed_schools"] = schools
    return lists


def class_pupils(user, klass):
    """The class's current pupils this person may see: a parent sees their own
    child, not the rest of the class."""
    from ent.directory.models import Enrollment

    return (
        User.objects.pupils_visible_to(user)
        .filter(id__in=Enrollment.objects.current().filter(school_class=klass).values("pupil_id"))
        .order_by("last_name", "first_name")
    )


def class_teachers(klass):
    from ent.directory.models import TeachingAssignment

    return (
        TeachingAssignment.objects.filter(school_class=klass)
        .select_related("teacher", "subject")
        .order_by("teacher__last_name")
    )


def visible_guardians(user, pupil):
    """The pupil's guardian links, for the guardians this person may see."""
    from ent.directory.models import Guardianship

    return Guardianship.objects.filter(pupil=pupil, guardian__in=User.objects.visible_to(user)).select_related(
        "guardian"
    )


def activation_code_of_session(code_id):
    """The activation code a visitor proved in this session (its id was put there
    by the activation form), or None."""
    from ent.directory.models import ActivationCode

    if not code_id:
        return None
    return ActivationCode.objects.select_related("user").filter(id=code_id).first()


def recent_imports(school, limit=10) -> list:
    from ent.directory.models import ImportJob

    return list(ImportJob.objects.filter(school=school).select_related("created_by")[:limit])


def recent_letter_batches(school, limit=10) -> list:
    from ent.directory.models import LetterBatch

    return list(LetterBatch.objects.filter(school=school).select_related("requested_by")[:limit])


def recent_exports(user, limit=10) -> list:
    """The person's own data exports."""
    from ent.directory.models import DataExport

    return list(DataExport.objects.filter(user=user)[:limit])


def with_account_flags(people, school, *, since):
    """The accounts page's people, each with what the page shows about them here:
    pupil, teacher, staff, second factor, locked since `since`, current classes."""
    from allauth.mfa.models import Authenticator
    from django.db.models import Exists, OuterRef, Prefetch

    from ent.directory import signin
    from ent.directory.models import AuditEntry, Enrollment, TeachingAssignment

    current = Enrollment.objects.current().filter(school_class__school=school)
    return (
        people.annotate(
            is_pupil=Exists(current.filter(pupil=OuterRef("pk"))),
            is_teacher=Exists(TeachingAssignment.objects.filter(teacher=OuterRef("pk"), school_class__school=school)),
            is_staff_here=Exists(StaffRole.objects.filter(user=OuterRef("pk"), school=school)),
            has_mfa=Exists(Authenticator.objects.filter(user=OuterRef("pk"))),
            locked_recently=Exists(
                AuditEntry.objects.filter(target=OuterRef("pk"), action=signin.ACCOUNT_LOCKED, at__gte=since)
            ),
        )
        .prefetch_related(
            Prefetch("enrollments", queryset=current.select_related("school_class"), to_attr="current_enrollments")
        )
        .order_by("last_name", "first_name", "id")
    )


def signin_alerts(school, *, since) -> dict:
    """Sign-in alerts since `since` (ent/directory/signin.py): this school's locked
    accounts, and the addresses stopped for credential stuffing."""
    from ent.directory import signin
    from ent.directory.models import AuditEntry

    return {
        "signin_locked": AuditEntry.objects.filter(
            action=signin.ACCOUNT_LOCKED, at__gte=since, target__in=people_of_school(school)
        ).count(),
        "signin_stopped": AuditEntry.objects.filter(action=signin.ADDRESS_STOPPED, at__gte=since)[:5],
    }


# --- A school's calendar (issue 22) ----------------------------------------------

# The school office decides its own closed days; the territory admin sets them
# in the Django admin if need be, the référent numérique and secretary do not.
CALENDAR_KEEPERS = (StaffRole.Role.DIRECTION, StaffRole.Role.VIE_SCOLAIRE)


def can_keep_calendar(user, school) -> bool:
    return school.id in user.roles.staff_school_ids(*CALENDAR_KEEPERS)


def access_calendar_school(user, school_id) -> School:
    """A school whose closed days this person keeps (its direction or vie
    scolaire). Everybody else, other schools' offices included, gets 404."""
    school_id = int_id_or_404(school_id)
    if school_id not in user.roles.staff_school_ids(*CALENDAR_KEEPERS):
        raise Http404
    school = School.objects.filter(id=school_id).first()
    if school is None:
        raise Http404
    return school


def access_closed_day(user, school, closed_day_id):
    """One closed day of a school already checked with access_calendar_school:
    an id of another school's day is a 404."""
    from ent.directory.models import ClosedDay

    closed_day_id = int_id_or_404(closed_day_id)
    day = ClosedDay.objects.filter(id=closed_day_id, school=school).first()
    if day is None:
        raise Http404
    return day


def closed_days_of(school):
    return school.closed_days.order_by("date", "id")


# --- Pupil photos, the trombinoscope (issue 21) ----------------------------------

# The school office that takes and sees the photos: its direction and vie
# scolaire (not the secretary, the référent numérique nor the territory admin,
# who have no use for a face).
PHOTO_OFFICE = (StaffRole.Role.DIRECTION, StaffRole.Role.VIE_SCOLAIRE)


def can_manage_photos(user, school) -> bool:
    return school.id in user.roles.staff_school_ids(*PHOTO_OFFICE)


def _photos_seen_by(user):
    """The photos this person may see, in one query: the pupil is enrolled now
    in the photo's school, the family has not refused, and the person is the
    office of that school or teaches the pupil's class or one of their groups.
    Other families, pupils (the class-mates and the pupil included) and other
    schools see none."""
    from django.db.models import Exists, OuterRef, Q

    from ent.directory.models import Enrollment, Group, PhotoRefusal, PupilPhoto

    roles = user.roles
    current = Enrollment.objects.current()
    seen = Q(school_id__in=roles.staff_school_ids(*PHOTO_OFFICE))
    if roles.taught_class_ids:
        seen |= Q(pupil_id__in=current.filter(school_class_id__in=roles.taught_class_ids).values("pupil_id"))
    if roles.taught_group_ids:
        members = Group.members.through.objects.filter(group_id__in=roles.taught_group_ids)
        seen |= Q(pupil_id__in=members.values("user_id"))
    return (
        PupilPhoto.objects.filter(seen)
        .filter(Exists(current.filter(pupil_id=OuterRef("pupil_id"), school_class__school_id=OuterRef("school_id"))))
        .exclude(Exists(PhotoRefusal.objects.filter(pupil_id=OuterRef("pupil_id"), school_id=OuterRef("school_id"))))
    )


def access_pupil_photo(user, pupil_id):
    """A pupil's photo for the register and the office's pages: 404 for anyone
    but the pupil's teachers and their school's office, and when there is none."""
    pupil_id = int_id_or_404(pupil_id)
    if not user.is_authenticated:
        raise Http404
    photo = _photos_seen_by(user).filter(pupil_id=pupil_id).first()
    if photo is None:
        raise Http404
    return photo


def photo_pupil_ids(user, pupil_ids) -> frozenset:
    """Which of these pupils have a photo this person may see and that the
    antivirus let through (the register's rows), in one query."""
    from ent.files import ScanState

    ids = list(pupil_ids)
    if not ids:
        return frozenset()
    return frozenset(
        _photos_seen_by(user).filter(pupil_id__in=ids, scan=ScanState.OFFERED).values_list("pupil_id", flat=True)
    )


def access_photo_school(user, school_id) -> School:
    """A school whose photos this person manages (its direction or vie scolaire)."""
    school_id = int_id_or_404(school_id)
    if school_id not in user.roles.staff_school_ids(*PHOTO_OFFICE):
        raise Http404
    school = School.objects.filter(id=school_id).first()
    if school is None:
        raise Http404
    return school


def access_photo_pupil(user, school, pupil_id) -> User:
    """A pupil enrolled now in a school whose photos this person manages."""
    from ent.directory.models import Enrollment

    pupil_id = int_id_or_404(pupil_id)
    if not can_manage_photos(user, school):
        raise Http404
    if not Enrollment.objects.current().filter(pupil_id=pupil_id, school_class__school=school).exists():
        raise Http404
    return User.objects.get(id=pupil_id)


def access_child_photo_school(user, child_id, school_id) -> tuple:
    """(child, school) for a guardian recording the family's refusal: their
    own child, enrolled now in that school."""
    from ent.directory.models import Enrollment

    child_id = int_id_or_404(child_id)
    school_id = int_id_or_404(school_id)
    # Any adult linked to the child may say no (less is shown, never more); only
    # the office withdraws a refusal.
    if child_id not in user.roles.child_ids:
        raise Http404
    enrolment = (
        Enrollment.objects.current()
        .filter(pupil_id=child_id, school_class__school_id=school_id)
        .select_related("pupil", "school_class__school")
        .first()
    )
    if enrolment is None:
        raise Http404
    return enrolment.pupil, enrolment.school_class.school


def photo_state(pupil, school) -> dict:
    """What the office's and the family's pages say about a pupil's photo here."""
    from ent.directory.models import PhotoRefusal, PupilPhoto

    return {
        "photo": PupilPhoto.objects.filter(pupil=pupil, school=school).first(),
        "refusal": PhotoRefusal.objects.filter(pupil=pupil, school=school).select_related("recorded_by").first(),
    }


def school_photo_counts(school) -> dict:
    from ent.directory.models import Enrollment, PhotoRefusal, PupilPhoto

    current = Enrollment.objects.current().filter(school_class__school=school)
    return {
        "pupils": current.values("pupil_id").distinct().count(),
        "photos": PupilPhoto.objects.filter(school=school, pupil_id__in=current.values("pupil_id")).count(),
        "refusals": PhotoRefusal.objects.filter(school=school, pupil_id__in=current.values("pupil_id")).count(),
    }


def school_pupils_by_name(school) -> dict:
    """The school's current pupils, by the names a photo file may carry: their
    INE (external_id) and their login, both lower-cased."""
    from ent.directory.models import Enrollment

    pupils = User.objects.filter(
        id__in=Enrollment.objects.current().filter(school_class__school=school).values("pupil_id")
    ).only("id", "username", "external_id", "first_name", "last_name")
    names = {}
    for pupil in pupils:
        names[pupil.username.lower()] = pupil
        if pupil.external_id:
            names[pupil.external_id.lower()] = pupil
    return names


def school_photo_states(school):
    """The school's current pupils for the office's photo page, in one query:
    their class, and whether they have a photo (and its antivirus state) or a
    family's refusal."""
    from django.db.models import Exists, OuterRef, Subquery

    from ent.directory.models import Enrollment, PhotoRefusal, PupilPhoto

    current = Enrollment.objects.current().filter(school_class__school=school)
    return (
        User.objects.filter(id__in=current.values("pupil_id"))
        .annotate(
            class_name=Subquery(current.filter(pupil_id=OuterRef("pk")).values("school_class__name")[:1]),
            photo_scan=Subquery(PupilPhoto.objects.filter(pupil_id=OuterRef("pk"), school=school).values("scan")[:1]),
            photo_refused=Exists(PhotoRefusal.objects.filter(pupil_id=OuterRef("pk"), school=school)),
        )
        .only("id", "first_name", "last_name", "username")
        .order_by("class_name", "last_name", "first_name", "id")
    )


def photo_links(user, enrollments) -> list:
    """For a pupil's page, per school the pupil is enrolled in: may this person
    manage the pupil's photo there (the office), or record the family's refusal
    (one of the pupil's guardians)? From the person's roles: no query."""
    roles = user.roles
    office = roles.staff_school_ids(*PHOTO_OFFICE)
    links = []
    for enrolment in enrollments:
        school = enrolment.school_class.school
        manage = school.id in office
        family = enrolment.pupil_id in roles.child_ids
        if manage or family:
            links.append({"school": school, "manage": manage, "family": family})
    return links
