"""Absences: registers (roll calls), absence events, parents' notices, reasons,
alerts, the audit log of who looked at a pupil's record, and the retention policy.

Time model. Every event and every notice stores an aware start and end
(`starts_at`/`ends_at`), so "does this notice cover that absence" is one overlap
test in SQL, whichever was recorded first. Events also store their date and
half-day, the unit primary schools count in and the absenteeism threshold uses.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ent.directory.models import Group, School, SchoolClass, Subject, Territory
from ent.files import Scanned, ScanState

# The half-day boundary: a lesson starting before noon belongs to the morning.
NOON = time(12, 0)


class HalfDay(models.TextChoices):
    MORNING = "am", _("morning")
    AFTERNOON = "pm", _("afternoon")


def half_day_of(t: time) -> str:
    return HalfDay.MORNING if t < NOON else HalfDay.AFTERNOON


def aware(day, t: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, t))


def half_day_bounds(day, half_day) -> tuple[datetime, datetime]:
    """The whole half-day as an aware interval [start, end)."""
    if half_day == HalfDay.MORNING:
        return aware(day, time(0, 0)), aware(day, NOON)
    return aware(day, NOON), aware(day + timedelta(days=1), time(0, 0))


class RetentionPolicy(models.Model):
    """How long a territory keeps absence records. A record of school year Y is
    kept until the end of school year Y + `years_after` (default 1: the end of
    the following school year), then purged by absences.tasks.purge_expired."""

    territory = models.OneToOneField(Territory, on_delete=models.CASCADE, related_name="absence_retention")
    years_after = models.PositiveSmallIntegerField(
        _("school years kept after the year of the record"), default=1, validators=[MaxValueValidator(10)]
    )

    class Meta:
        verbose_name = _("absence retention policy")
        verbose_name_plural = _("absence retention policies")

    def __str__(self):
        return f"{self.territory}: {self.years_after}"


# The visible_to() methods below import absences.access inside the method:
# access reads these models at import time, so a module-level import here would
# close a cycle (models -> access -> models).


class ReasonQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Reasons are no secret: anyone sees those of the schools they belong to
        (a family's declaration form lists its child's school's)."""
        from absences.access import visible_school_ids

        return self.filter(school_id__in=visible_school_ids(user))

    def offered(self):
        """The reasons a form offers (the school keeps retired ones for history)."""
        return self.filter(is_active=True)


class Reason(models.Model):
    """A reason (motif) of absence, configured per school."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="absence_reasons")
    label = models.CharField(_("label"), max_length=100)
    # Schools name their reasons in French; English readers get this label when set.
    label_en = models.CharField(_("label in English"), max_length=100, blank=True, default="")
    counts_as_justified = models.BooleanField(_("counts as justified"), default=True)
    needs_proof = models.BooleanField(_("needs a proof document"), default=False)
    # Health and private reasons: teachers only ever see "justified".
    is_private = models.BooleanField(_("health / private"), default=False)
    settles = models.BooleanField(_("settles the absence administratively"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ReasonQuerySet.as_manager()

    class Meta:
        verbose_name = _("absence reason")
        verbose_name_plural = _("absence reasons")
        ordering = ["position", "label"]
        constraints = [models.UniqueConstraint(fields=["school", "label"], name="absence_reason_unique_label")]

    def __str__(self):
        return self.shown_label

    @property
    def shown_label(self):
        """The label in the reader's language (French when no English one is set)."""
        if self.label_en and not (translation.get_language() or "fr").startswith("fr"):
            return self.label_en
        return self.label


class RegisterQuerySet(models.QuerySet):
    def visible_to(self, user):
        from absences.access import visible_register_q

        q = visible_register_q(user)
        return self.filter(q) if q is not None else self.none()


class Register(models.Model):
    """The roll call of one lesson (or one half-day in primary schools) for a
    class or a group. Only the pupils who are not present have a row
    (AbsenceEvent with register=this): everyone is present by default."""

    class State(models.TextChoices):
        TODO = "todo", _("to do")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="registers")
    school_class = models.ForeignKey(
        SchoolClass, null=True, blank=True, on_delete=models.CASCADE, related_name="registers"
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="registers")
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The timetable's weekly lesson this register was opened for (None: opened
    # by hand, or an extra lesson); a re-import that drops the slot keeps the register.
    slot = models.ForeignKey(
        "timetable.Slot", null=True, blank=True, on_delete=models.SET_NULL, related_name="registers"
    )
    date = models.DateField(_("date"))
    half_day = models.CharField(_("half-day"), max_length=2, choices=HalfDay.choices)
    starts_at = models.TimeField(_("start"))
    ends_at = models.TimeField(_("end"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.TODO)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    objects = RegisterQuerySet.as_manager()

    class Meta:
        verbose_name = _("register")
        verbose_name_plural = _("registers")
        ordering = ["date", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(school_class__isnull=False, group__isnull=True)
                    | Q(school_class__isnull=True, group__isnull=False)
                ),
                name="register_class_xor_group",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="register_ends_after_start"),
            models.UniqueConstraint(
                fields=["school_class", "date", "starts_at"],
                condition=Q(school_class__isnull=False),
                name="register_unique_class_slot",
            ),
            models.UniqueConstraint(
                fields=["group", "date", "starts_at"],
                condition=Q(group__isnull=False),
                name="register_unique_group_slot",
            ),
        ]
        indexes = [models.Index(fields=["school", "date"])]

    def __str__(self):
        return f"{self.target} {self.date} {self.starts_at:%H:%M}"

    @property
    def target(self):
        return self.school_class or self.group

    @property
    def is_done(self):
        return self.state == self.State.DONE

    def events_by_pupil(self) -> dict:
        """The register's marks (a row for each pupil not present), by pupil id."""
        return {e.pupil_id: e for e in self.events.all()}

    def announced_pupil_ids(self, pupil_ids) -> set:
        """Those of the pupils whose family's notice (pending or validated)
        covers this register's slot: the register shows "absence announced"."""
        start, end = aware(self.date, self.starts_at), aware(self.date, self.ends_at)
        return set(
            AbsenceNotice.objects.covering()
            .filter(pupil_id__in=pupil_ids, starts_at__lt=end, ends_at__gt=start)
            .values_list("pupil_id", flat=True)
        )


class AbsenceEventQuerySet(models.QuerySet):
    def visible_to(self, user):
        from absences.access import visible_pupil_q

        q = visible_pupil_q(user, "pupil_id", "school_id")
        return self.filter(q) if q is not None else self.none()


class AbsenceEvent(models.Model):
    """One absence, late arrival or early departure of one pupil for one period."""

    class Kind(models.TextChoices):
        ABSENCE = "absence", _("absent")
        LATE = "late", _("late")
        LEFT_EARLY = "left_early", _("left early")

    class State(models.TextChoices):
        UNEXPLAINED = "unexplained", _("unexplained")
        JUSTIFIED = "justified", _("justified")
        UNJUSTIFIED = "unjustified", _("unjustified")

    class Source(models.TextChoices):
        REGISTER = "register", _("register")
        OFFICE = "office", _("vie scolaire")

    pupil = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absence_events")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="absence_events")
    # The class at the time, for class statistics even after a pupil moves.
    school_class = models.ForeignKey(SchoolClass, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    register = models.ForeignKey(Register, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.ABSENCE)
    minutes = models.PositiveSmallIntegerField(_("minutes"), null=True, blank=True)
    date = models.DateField(_("date"))
    half_day = models.CharField(_("half-day"), max_length=2, choices=HalfDay.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.UNEXPLAINED)
    settled = models.BooleanField(_("settled"), default=False)
    reason = models.ForeignKey(Reason, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    notice = models.ForeignKey(
        "AbsenceNotice", null=True, blank=True, on_delete=models.SET_NULL, related_name="justified_events"
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True, default="")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.REGISTER)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = AbsenceEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("absence event")
        verbose_name_plural = _("absence events")
        ordering = ["-date", "-starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["register", "pupil"], condition=Q(register__isnull=False), name="absence_one_mark_per_register"
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="absence_ends_after_start"),
        ]
        indexes = [
            models.Index(fields=["pupil", "date"]),
            models.Index(fields=["school", "date"]),
            models.Index(fields=["school_class", "date"]),
        ]

    def __str__(self):
        return f"{self.pupil_id} {self.date} {self.half_day} {self.kind}"

    @property
    def is_absence(self):
        return self.kind == self.Kind.ABSENCE


class AbsenceNoticeQuerySet(models.QuerySet):
    def visible_to(self, user):
        from absences.access import visible_notice_q

        q = visible_notice_q(user)
        return self.filter(q) if q is not None else self.none()

    def covering(self):
        """Notices that stand: pending (the family told us) or validated."""
        return self.exclude(state=AbsenceNotice.State.REJECTED)


class AbsenceNotice(Scanned):
    """A guardian's absence notice (déclaration / billet d'absence)."""

    class State(models.TextChoices):
        PENDING = "pending", _("to be handled")
        VALIDATED = "validated", _("validated")
        REJECTED = "rejected", _("rejected")

    pupil = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absence_notices")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="absence_notices")
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start_date = models.DateField(_("from"))
    start_half_day = models.CharField(_("from (half-day)"), max_length=2, choices=HalfDay.choices)
    start_time = models.TimeField(_("from (time)"), null=True, blank=True)
    end_date = models.DateField(_("to"))
    end_half_day = models.CharField(_("to (half-day)"), max_length=2, choices=HalfDay.choices)
    end_time = models.TimeField(_("to (time)"), null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.ForeignKey(Reason, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("comment"), max_length=1000, blank=True, default="")
    document_key = models.CharField(max_length=200, blank=True, default="")
    document_name = models.CharField(max_length=200, blank=True, default="")
    document_type = models.CharField(max_length=50, blank=True, default="")
    document_size = models.PositiveIntegerField(default=0)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    treated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    treated_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(_("reason for rejection"), max_length=1000, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AbsenceNoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("absence notice")
        verbose_name_plural = _("absence notices")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="notice_ends_after_start"),
        ]
        indexes = [models.Index(fields=["pupil", "starts_at"]), models.Index(fields=["school", "state"])]

    def __str__(self):
        return f"{self.pupil_id} {self.start_date}→{self.end_date}"

    @property
    def has_document(self):
        # An infected document was deleted: it proves nothing any more.
        return bool(self.document_key) and self.scan != ScanState.INFECTED

    # What ent/files.py needs to tell the owner about the antivirus' verdict.
    file_stamp_field = "created_at"

    def file_owner_id(self):
        return self.declared_by_id

    def file_title(self):
        return _("Absence notice from %(start)s to %(end)s") % {"start": self.start_date, "end": self.end_date}

    def file_page_url(self):
        return reverse("absences:notice_detail", args=[self.id])

    @property
    def is_pending(self):
        return self.state == self.State.PENDING


class UnexplainedAlert(models.Model):
    """Guardians were told the same day that their child is absent: at most once
    per pupil and half-day (the unique constraint is the guarantee)."""

    pupil = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    half_day = models.CharField(max_length=2, choices=HalfDay.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pupil", "date", "half_day"], name="unexplained_alert_once"),
        ]

    def __str__(self):
        return f"{self.pupil_id} {self.date} {self.half_day}"


class AbsenteeismAlert(models.Model):
    """Vie scolaire and direction were alerted: at most once per pupil and month."""

    pupil = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="first day of the month")
    half_days = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pupil", "month"], name="absenteeism_alert_once_a_month")]

    def __str__(self):
        return f"{self.pupil_id} {self.month:%Y-%m}"


class AuditEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The audit log is for the school's direction only."""
        from absences.access import direction_school_ids

        return self.filter(school_id__in=direction_school_ids(user))


class AuditEntry(models.Model):
    """Someone on the staff looked at a pupil's absence record."""

    class What(models.TextChoices):
        FILE = "file", _("absence file")
        NOTICE = "notice", _("absence notice")
        DOCUMENT = "document", _("notice document")
        EVENT = "event", _("absence")
        STATS = "stats", _("class statistics")
        EXPORT = "export", _("CSV export")

    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Kept if the viewer's account is deleted later.
    viewer_name = models.CharField(max_length=300)
    pupil = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    what = models.CharField(max_length=10, choices=What.choices)
    viewed_at = models.DateTimeField(default=timezone.now)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("absence audit entry")
        verbose_name_plural = _("absence audit entries")
        ordering = ["-viewed_at"]
        indexes = [models.Index(fields=["school", "viewed_at"]), models.Index(fields=["pupil", "viewed_at"])]

    def __str__(self):
        return f"{self.viewer_name} → {self.pupil_id} ({self.what})"
