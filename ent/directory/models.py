"""The directory: territories, schools, years, classes, groups, subjects, people
and the links between them (enrolment, guardianship, teaching, staff roles)."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from ent.directory.roles import roles_of
from ent.files import Scanned, ScanState, scan_field


class PersonQuerySet(models.QuerySet):
    def pupils_visible_to(self, user):
        """Pupils whose file this person may open."""
        roles = roles_of(user)
        if roles is None:
            return self.none()
        current = Enrollment.objects.current()
        q = Q(id__in=roles.child_ids)
        if roles.is_pupil:
            q |= Q(id=roles.user_id)
        if roles.taught_class_ids:
            q |= Q(id__in=current.filter(school_class_id__in=roles.taught_class_ids).values("pupil_id"))
        if roles.taught_group_ids:
            q |= Q(id__in=Group.members.through.objects.filter(group_id__in=roles.taught_group_ids).values("user_id"))
        if roles.staff:
            q |= Q(id__in=current.filter(school_class__school_id__in=roles.staff_school_ids()).values("pupil_id"))
        if roles.admin_territory_ids:
            q |= Q(
                id__in=current.filter(school_class__school__territory_id__in=roles.admin_territory_ids).values(
                    "pupil_id"
                )
            )
        return self.filter(q)

    def visible_to(self, user):
        """People this person may see in the directory: themselves, the pupils
        they may see, those pupils' guardians, and the adults of their schools
        that concern them."""
        roles = roles_of(user)
        if roles is None:
            return self.none()
        pupils = self.model.objects.pupils_visible_to(user).values("id")
        q = Q(id=roles.user_id) | Q(id__in=pupils)
        # Guardians of visible pupils, for the adults who work with them.
        if roles.is_teacher or roles.is_staff or roles.is_admin:
            q |= Q(id__in=Guardianship.objects.filter(pupil_id__in=pupils).values("guardian_id"))
        # Colleagues: staff and teachers of the schools one works in.
        work_schools = roles.teacher_school_ids | roles.staff_school_ids()
        admin_territories = roles.admin_territory_ids
        if work_schools or admin_territories:
            school_q = Q(school_id__in=work_schools)
            class_q = Q(school_class__school_id__in=work_schools) | Q(group__school_id__in=work_schools)
            if admin_territories:
                school_q |= Q(school__territory_id__in=admin_territories)
                class_q |= Q(school_class__school__territory_id__in=admin_territories)
                class_q |= Q(group__school__territory_id__in=admin_territories)
            q |= Q(id__in=StaffRole.objects.filter(school_q).values("user_id"))
            q |= Q(id__in=TeachingAssignment.objects.filter(class_q).values("teacher_id"))
        # Families and pupils see the teachers of their (children's) classes and
        # groups, and the staff of their (children's) schools.
        family_classes = roles.pupil_class_ids | {cid for ids in roles.child_class_ids.values() for cid in ids}
        family_groups_q = Q(group__members__id__in=roles.child_ids | ({roles.user_id} if roles.is_pupil else set()))
        if family_classes:
            q |= Q(
                id__in=TeachingAssignment.objects.filter(
                    Q(school_class_id__in=family_classes) | family_groups_q,
                    Q(school_class__year__is_current=True) | Q(group__year__is_current=True),
                ).values("teacher_id")
            )
            q |= Q(
                id__in=StaffRole.objects.filter(
                    school_id__in=roles.pupil_school_ids | roles.children_school_ids
                ).values("user_id")
            )
        return self.filter(q)

    def children_of(self, user):
        """The children this person is guardian of, currently enrolled."""
        roles = roles_of(user)
        if roles is None:
            return self.none()
        return self.filter(id__in=roles.child_ids)


class PersonManager(UserManager.from_queryset(PersonQuerySet)):
    pass


class User(AbstractUser):
    """A person. Children log in with a username and have no email; adults may
    use their email or their username."""

    email = models.EmailField(_("email address"), blank=True, default="")
    phone = models.CharField(_("mobile phone"), max_length=32, blank=True, default="")
    # Stable id from the national databases (INE for pupils, ONDE/SIECLE ids for
    # adults) so that re-importing the same file changes nothing.
    external_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    # Accounts seeded by `seed_demo`; only these may skip MFA, and only in demo mode.
    is_demo = models.BooleanField(default=False, editable=False)

    objects = PersonManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            # Email is optional, but two accounts never share one (login by email).
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""), name="user_email_unique_when_set"),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    @cached_property
    def roles(self):
        """What this person is, where: computed once per request in a fixed number
        of queries (see ent.directory.roles)."""
        from ent.directory.roles import compute_roles

        return compute_roles(self)


class Territory(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(unique=True)

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["name"]

    def __str__(self):
        return self.name


class TerritoryAdmin(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="territory_admin_roles")
    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="admins")

    class Meta:
        verbose_name = _("territory administrator")
        verbose_name_plural = _("territory administrators")
        constraints = [models.UniqueConstraint(fields=["user", "territory"], name="territory_admin_unique")]

    def __str__(self):
        return f"{self.user} @ {self.territory}"


uai_validator = RegexValidator(r"^[0-9]{7}[A-Z]$", _("A UAI is 7 digits followed by an upper-case letter."))


class SchoolQuerySet(models.QuerySet):
    def visible_to(self, user):
        roles = roles_of(user)
        if roles is None:
            return self.none()
        q = Q(id__in=roles.school_ids)
        if roles.admin_territory_ids:
            q |= Q(territory_id__in=roles.admin_territory_ids)
        return self.filter(q)

    def administered_by(self, user):
        """Schools whose data the person may change: their staff schools and the
        schools of the territories they administer."""
        roles = roles_of(user)
        if roles is None:
            return self.none()
        q = Q(id__in=roles.staff_school_ids())
        if roles.admin_territory_ids:
            q |= Q(territory_id__in=roles.admin_territory_ids)
        return self.filter(q)


class School(models.Model):
    class Kind(models.TextChoices):
        PRIMARY = "primary", _("primary school")
        SECONDARY = "secondary", _("secondary school")

    class HolidayZone(models.TextChoices):
        A = "A", _("zone A")
        B = "B", _("zone B")
        C = "C", _("zone C")
        # Corsica and the overseas académies set their own calendars, which
        # absences/holidays.py does not hold: only the national dates apply.
        OTHER = "other", _("Corsica or overseas (only national dates known)")

    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="schools")
    name = models.CharField(_("name"), max_length=200)
    uai = models.CharField(_("UAI"), max_length=8, unique=True, validators=[uai_validator])
    commune = models.CharField(_("commune"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # Blank until someone sets it (the directory import does not know it):
    # the declaration then warns about the national holidays only.
    holiday_zone = models.CharField(
        _("school holiday zone"), max_length=8, choices=HolidayZone.choices, blank=True, default=""
    )

    objects = SchoolQuerySet.as_manager()

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_primary(self):
        return self.kind == self.Kind.PRIMARY


class ClosedDay(models.Model):
    """A day (or a few days) a school decided to close on its own: a bridge,
    a teachers' training day. Not personal data."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="closed_days")
    date = models.DateField(_("date"))
    end_date = models.DateField(_("last day"), null=True, blank=True)
    label = models.CharField(_("label"), max_length=100)

    class Meta:
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("date")),
                name="closed_day_ends_after_it_starts",
            )
        ]

    def __str__(self):
        return f"{self.label} ({self.date})"

    @property
    def last_day(self):
        return self.end_date or self.date


class SchoolYear(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="years")
    name = models.CharField(_("name"), max_length=20, help_text="2026-2027")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    is_current = models.BooleanField(_("current"), default=False)
    # A closed year is kept read-only after the rollover.
    is_closed = models.BooleanField(_("closed"), default=False)

    class Meta:
        verbose_name = _("school year")
        verbose_name_plural = _("school years")
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["school"], condition=Q(is_current=True), name="one_current_year_per_school"
            ),
            models.UniqueConstraint(fields=["school", "name"], name="school_year_name_unique"),
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="school_year_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.school} {self.name}"


class SchoolClassQuerySet(models.QuerySet):
    def visible_to(self, user):
        roles = roles_of(user)
        if roles is None:
            return self.none()
        q = Q(id__in=roles.pupil_class_ids | roles.taught_class_ids)
        q |= Q(id__in={cid for ids in roles.child_class_ids.values() for cid in ids})
        q |= Q(school_id__in=roles.staff_school_ids())
        if roles.admin_territory_ids:
            q |= Q(school__territory_id__in=roles.admin_territory_ids)
        return self.filter(q)

    def current(self):
        return self.filter(year__is_current=True)


class SchoolClass(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="classes")
    year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="classes")
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=20, blank=True, default="")
    external_id = models.CharField(max_length=64, blank=True, default="")

    objects = SchoolClassQuerySet.as_manager()

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["year", "name"], name="class_name_unique_per_year")]

    def __str__(self):
        return self.name


class Group(models.Model):
    """Pupils across classes (an option, a language group, a support group)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="groups")
    year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(User, related_name="pupil_groups", blank=True)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["year", "name"], name="group_name_unique_per_year")]

    def __str__(self):
        return self.name


class Subject(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="subjects")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["school", "code"], name="subject_code_unique_per_school")]

    def __str__(self):
        return self.name


class EnrollmentQuerySet(models.QuerySet):
    def current(self):
        """Enrolments of the current year that have not ended."""
        return self.filter(left_on__isnull=True, school_class__year__is_current=True)


class Enrollment(models.Model):
    pupil = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrollments")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="enrollments")
    # Set when the pupil leaves the school: their access ends.
    left_on = models.DateField(_("left on"), null=True, blank=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [models.UniqueConstraint(fields=["pupil", "school_class"], name="enrollment_unique")]
        indexes = [models.Index(fields=["school_class", "left_on"])]

    def __str__(self):
        return f"{self.pupil} → {self.school_class}"


class Guardianship(models.Model):
    guardian = models.ForeignKey(User, on_delete=models.CASCADE, related_name="guardianships")
    pupil = models.ForeignKey(User, on_delete=models.CASCADE, related_name="guardians_links")
    is_legal_guardian = models.BooleanField(_("legal guardian"), default=True)
    may_justify_absences = models.BooleanField(_("may justify absences"), default=True)
    receives_messages = models.BooleanField(_("receives messages"), default=True)
    relationship = models.CharField(_("relationship"), max_length=50, blank=True, default="")

    class Meta:
        verbose_name = _("guardianship")
        verbose_name_plural = _("guardianships")
        constraints = [
            models.UniqueConstraint(fields=["guardian", "pupil"], name="guardianship_unique"),
            models.CheckConstraint(condition=~Q(guardian=models.F("pupil")), name="guardian_not_self"),
        ]

    def __str__(self):
        return f"{self.guardian} ⇢ {self.pupil}"


class TeachingAssignment(models.Model):
    """A teacher teaches a class or a group, optionally one subject (primary
    teachers teach everything)."""

    teacher = models.ForeignKey(User, on_delete=models.CASCADE, related_name="teaching_assignments")
    school_class = models.ForeignKey(
        SchoolClass, null=True, blank=True, on_delete=models.CASCADE, related_name="teaching_assignments"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="teaching_assignments"
    )
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("teaching assignment")
        verbose_name_plural = _("teaching assignments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(school_class__isnull=False, group__isnull=True)
                    | Q(school_class__isnull=True, group__isnull=False)
                ),
                name="teaching_class_xor_group",
            ),
            models.UniqueConstraint(
                fields=["teacher", "school_class", "group", "subject"],
                name="teaching_assignment_unique",
            ),
        ]

    def __str__(self):
        return f"{self.teacher} — {self.school_class or self.group} {self.subject or ''}".strip()


class StaffRole(models.Model):
    class Role(models.TextChoices):
        DIRECTION = "direction", _("direction")
        VIE_SCOLAIRE = "vie_scolaire", _("vie scolaire")
        REFERENT = "referent", _("référent numérique")
        SECRETARY = "secretary", _("secretary")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_roles")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [models.UniqueConstraint(fields=["user", "school", "role"], name="staff_role_unique")]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} @ {self.school}"

    @property
    def is_direction(self):
        return self.role == self.Role.DIRECTION

    @property
    def is_vie_scolaire(self):
        return self.role == self.Role.VIE_SCOLAIRE

    @property
    def is_referent(self):
        return self.role == self.Role.REFERENT


# Unambiguous alphabet for codes printed on paper (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _hash_code(code: str) -> str:
    normalized = code.replace("-", "").replace(" ", "").upper()
    return hmac.new(settings.SECRET_KEY.encode(), normalized.encode(), hashlib.sha256).hexdigest()


class ActivationCodeQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class ActivationCode(models.Model):
    """A one-time code printed on a login letter: username + code lets the person
    choose a password. Only a keyed hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="activation_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ActivationCodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("activation code")
        verbose_name_plural = _("activation codes")
        indexes = [models.Index(fields=["user", "used_at"])]

    def __str__(self):
        return f"{self.user} ({self.created_at:%Y-%m-%d})"

    @staticmethod
    def generate_code() -> str:
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        return f"{raw[:4]}-{raw[4:]}"

    @classmethod
    def default_expiry(cls):
        return timezone.now() + timedelta(days=settings.ACTIVATION_CODE_DAYS)

    def matches(self, code: str) -> bool:
        return hmac.compare_digest(self.code_hash, _hash_code(code))

    @property
    def is_usable(self):
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()


def hash_activation_code(code: str) -> str:
    return _hash_code(code)


# --- Imports, account lifecycle and privacy (issue 8) ---------------------------


class ImportJob(models.Model):
    """One CSV upload for one school: a dry-run preview first, then, once a person
    confirms a preview without errors, the same plan applied in one transaction."""

    class Kind(models.TextChoices):
        PUPILS = "pupils", _("pupils, guardians and classes (ONDE / SIECLE)")
        STAFF = "staff", _("teachers and staff (STS)")

    class Scope(models.TextChoices):
        CLASSES = "classes", _("only the classes in the file")
        SCHOOL = "school", _("the whole school")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        PREVIEWING = "previewing", _("checking the file")
        READY = "ready", _("preview ready")
        APPLYING = "applying", _("applying")
        APPLIED = "applied", _("applied")
        FAILED = "failed", _("failed")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(_("content"), max_length=16, choices=Kind.choices)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.CLASSES)
    # The uploaded file lives in the object store; the key is cleared once purged.
    file_key = models.CharField(max_length=200, blank=True, default="")
    file_name = models.CharField(max_length=255, blank=True, default="")
    file_size = models.PositiveBigIntegerField(default=0)
    encoding = models.CharField(max_length=20, blank=True, default="")
    delimiter = models.CharField(max_length=4, blank=True, default="")
    detected_format = models.CharField(max_length=20, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    # {"created": n, "updated": n, "unchanged": n, "deactivated": n, "by_entity": {...}}
    summary = models.JSONField(default=dict, blank=True)
    # [{"line": 3, "field": "birth_date", "code": "bad_date", "params": {...}}]
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # [{"line": 3, "action": "create", "entity": "pupil", "label": "...", "fields": [...]}]
    changes = models.JSONField(default=list, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The antivirus' check of the uploaded file (ent/files.py): nothing reads the
    # file, not even the preview, before it is offered.
    scan = scan_field()
    scan_signature = models.CharField(max_length=200, blank=True, default="")
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["school", "created_at"])]

    def __str__(self):
        return f"{self.school} {self.file_name} ({self.status})"

    @property
    def is_running(self):
        return self.status in (self.Status.PENDING, self.Status.PREVIEWING, self.Status.APPLYING)

    @property
    def can_apply(self):
        return self.status == self.Status.READY and not self.errors

    @property
    def is_held(self):
        return self.scan == ScanState.HELD

    @property
    def is_infected(self):
        return self.scan == ScanState.INFECTED

    file_stamp_field = "created_at"

    def file_owner_id(self):
        return self.created_by_id

    def file_title(self):
        return self.file_name

    def file_page_url(self):
        return reverse("import_detail", args=[self.id])

    @property
    def percent(self):
        if self.status in (self.Status.READY, self.Status.APPLIED):
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(100 * self.processed_rows / self.total_rows))


class AuditEntry(models.Model):
    """Who changed which account, when: blocks, departures, merges, imports,
    rollovers, letters. Purged after 12 months."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=40)
    target = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class DataExport(models.Model):
    """A person's copy of their data (and their children's): a zip built by a task,
    kept in the object store for a few days, handed out by a presigned link."""

    class Status(models.TextChoices):
        PENDING = "pending", _("being prepared")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="data_exports")
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    key = models.CharField(max_length=200, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-requested_at"]

    def __str__(self):
        return f"{self.user} {self.requested_at:%Y-%m-%d} ({self.status})"

    @property
    def is_downloadable(self):
        return self.status == self.Status.READY and self.expires_at is not None and self.expires_at > timezone.now()


class PurgeLog(models.Model):
    """One run of a retention purge: what it removed, so a purge is accountable."""

    kind = models.CharField(max_length=40)
    ran_at = models.DateTimeField(default=timezone.now)
    dry_run = models.BooleanField(default=False)
    count = models.PositiveIntegerField(default=0)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("purge log")
        verbose_name_plural = _("purge logs")
        ordering = ["-ran_at"]

    def __str__(self):
        return f"{self.ran_at:%Y-%m-%d %H:%M} {self.kind}: {self.count}"


class LetterBatch(models.Model):
    """The login letters of a whole school, built by a task (hundreds of pages)
    into a PDF kept in the object store for LETTERS_DAYS, downloaded through a
    presigned link by the school's managers. The PDF holds clear activation codes:
    it is short-lived and purged with the old records."""

    class Status(models.TextChoices):
        PENDING = "pending", _("being prepared")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="letter_batches")
    # None: the whole school.
    school_class = models.ForeignKey(SchoolClass, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    only_new = models.BooleanField(default=True)
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    key = models.CharField(max_length=200, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("login letters")
        verbose_name_plural = _("login letters")
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"{self.school} {self.requested_at:%Y-%m-%d} ({self.status})"

    @property
    def is_downloadable(self):
        return self.status == self.Status.READY and self.expires_at is not None and self.expires_at > timezone.now()


# --- Pupil photos, the trombinoscope (issue 21) ----------------------------------


class PupilPhoto(Scanned):
    """A pupil's small photo for the register and the office's pages. Only a
    thumbnail re-encoded by us is kept (never the uploaded file: its EXIF may
    hold where it was taken), in the object store under a key nobody is given;
    it is shown through ent.directory.views_photos after access_pupil_photo."""

    pupil = models.OneToOneField(User, on_delete=models.CASCADE, related_name="photo")
    # The school that took it: its office manages it, and it goes when the pupil
    # leaves that school (ent.directory.photos.purge).
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="pupil_photos")
    key = models.CharField(max_length=200)
    size = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=40, default="image/jpeg")
    filename = models.CharField(max_length=255, blank=True, default="")
    uploaded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("pupil photo")
        verbose_name_plural = _("pupil photos")

    def __str__(self):
        return f"{self.pupil} ({self.school})"

    # The file gate's contract (ent/files.py).
    file_stamp_field = "updated_at"

    def file_owner_id(self):
        return self.uploaded_by_id

    def file_title(self):
        return _("Photo of %(name)s") % {"name": self.pupil}

    def file_page_url(self):
        return reverse("directory:pupil_photo_manage", args=[self.school_id, self.pupil_id])


class PhotoRefusal(models.Model):
    """The family said no to the pupil's photo at this school. A row of its own
    rather than a flag on the enrolment or a guardianship: one guardian's no is
    enough (it is not per guardian), and it must outlive the class changes and
    the year rollover (enrolments are per class and year). Recorded by the
    school office, or by a legal guardian from the child's page; only the
    office withdraws it."""

    pupil = models.ForeignKey(User, on_delete=models.CASCADE, related_name="photo_refusals")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="photo_refusals")
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("photo refusal")
        verbose_name_plural = _("photo refusals")
        constraints = [models.UniqueConstraint(fields=["pupil", "school"], name="photo_refusal_unique")]

    def __str__(self):
        return f"{self.pupil} ({self.school})"
