"""The timetable: weekly slots, the school year's A/B weeks, and one-off
changes on a date. Concrete lessons are never stored: ent/timetable/lessons.py
computes them from these three (and the school calendar) for any range, so a
change of the timetable or of a closed day is right everywhere at once."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ent.directory.models import Group, School, SchoolClass, SchoolYear, Subject
from ent.directory.roles import roles_of

# --- Who sees which lessons (visible_to; the rules in words: access.py) ---------------


def _rule(user, roles, *, klass, group, school, teacher):
    """Who sees which lessons, as a Q over the given lookups: a slot's own
    fields, a change's slot's, or an extra lesson's own; one rule, written once."""
    q = Q(pk__in=[])
    if roles.pupil_class_ids or roles.pupil_group_ids:
        q |= Q(**{f"{klass}__in": roles.pupil_class_ids}) | Q(**{f"{group}__in": roles.pupil_group_ids})
    if roles.child_ids:
        child_classes = {cid for ids in roles.child_class_ids.values() for cid in ids}
        child_groups = Group.members.through.objects.filter(user_id__in=roles.child_ids).values("group_id")
        q |= Q(**{f"{klass}__in": child_classes}) | Q(**{f"{group}__in": child_groups})
    if roles.teacher_school_ids or roles.is_teacher:
        q |= Q(**{f"{klass}__in": roles.taught_class_ids}) | Q(**{f"{group}__in": roles.taught_group_ids})
    q |= Q(**{teacher: user.pk})
    if roles.staff:
        q |= Q(**{f"{school}__in": roles.staff_school_ids()})
    return q


def slot_rule(user, roles, prefix=""):
    return _rule(
        user,
        roles,
        klass=f"{prefix}school_class_id",
        group=f"{prefix}group_id",
        school=f"{prefix}school_id",
        teacher=f"{prefix}teachers",
    )


class SlotQuerySet(models.QuerySet):
    def visible_to(self, user):
        roles = roles_of(user)
        if roles is None:
            return self.none()
        # teachers is many-to-many: filtering on it could repeat a slot.
        return self.filter(pk__in=self.model.objects.filter(slot_rule(user, roles)).values("pk"))


class ChangeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A change is seen by whoever sees its slot (or would see the extra
        lesson's class or group), its replacement teacher, and the office."""
        roles = roles_of(user)
        if roles is None:
            return self.none()
        of_slot = Q(slot__in=Slot.objects.filter(slot_rule(user, roles)).values("pk"))
        extra = Q(slot__isnull=True) & _rule(
            user, roles, klass="school_class_id", group="group_id", school="school_id", teacher="teacher"
        )
        return self.filter(of_slot | extra | Q(teacher=user.pk))


class Weeks(models.TextChoices):
    EVERY = "all", _("every week")
    A = "A", _("week A")
    B = "B", _("week B")


class HalfDay(models.TextChoices):
    """Primary schools count in half-days (the same values as absences')."""

    MORNING = "am", _("morning")
    AFTERNOON = "pm", _("afternoon")


class Slot(models.Model):
    """One weekly lesson: every Monday 08:00-08:55, 6e A, maths, room 12."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="timetable_slots")
    year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="timetable_slots")
    weekday = models.PositiveSmallIntegerField(_("day"))  # 0 = Monday, as date.weekday()
    starts_at = models.TimeField(_("start"))
    ends_at = models.TimeField(_("end"))
    # Primary schools: the half-day is the unit (starts/ends hold its usual hours).
    half_day = models.CharField(_("half-day"), max_length=2, choices=HalfDay.choices, blank=True, default="")
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    teachers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="timetable_slots", blank=True)
    school_class = models.ForeignKey(
        SchoolClass, null=True, blank=True, on_delete=models.CASCADE, related_name="timetable_slots"
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="timetable_slots")
    room = models.CharField(_("room"), max_length=40, blank=True, default="")
    weeks = models.CharField(_("weeks"), max_length=3, choices=Weeks.choices, default=Weeks.EVERY)
    # The import's key for this slot (the file's own id, or one computed from
    # its fields): a re-import updates the slot instead of adding a copy.
    external_id = models.CharField(max_length=120, blank=True, default="")

    objects = SlotQuerySet.as_manager()

    class Meta:
        verbose_name = _("timetable slot")
        verbose_name_plural = _("timetable slots")
        ordering = ["weekday", "starts_at"]
        indexes = [models.Index(fields=["school", "weekday"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(school_class__isnull=False, group__isnull=True)
                    | Q(school_class__isnull=True, group__isnull=False)
                ),
                name="slot_class_xor_group",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="slot_weekday_0_6"),
            models.UniqueConstraint(
                fields=["year", "external_id"], condition=~Q(external_id=""), name="slot_unique_external_id"
            ),
        ]

    def __str__(self):
        return f"{self.weekday} {self.starts_at:%H:%M} {self.school_class_id or self.group_id}"

    @property
    def target(self):
        return self.school_class or self.group


class Week(models.Model):
    """The school year's A/B calendar: which Monday starts a week A or a week
    B. A week without a row follows the alternation from the nearest earlier
    row (the office only types the weeks that break it, e.g. after holidays)."""

    year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="timetable_weeks")
    monday = models.DateField(_("Monday"))
    kind = models.CharField(_("week"), max_length=1, choices=[("A", _("week A")), ("B", _("week B"))])

    class Meta:
        verbose_name = _("A/B week")
        verbose_name_plural = _("A/B weeks")
        ordering = ["monday"]
        constraints = [models.UniqueConstraint(fields=["year", "monday"], name="week_unique_monday")]

    def __str__(self):
        return f"{self.monday} {self.kind}"


class Change(models.Model):
    """A one-off change on a date: the lesson of `slot` on `date` is cancelled,
    its teacher is absent, replaced, in another room or moved; or an extra
    lesson (no slot) is added."""

    class Kind(models.TextChoices):
        CANCELLED = "cancelled", _("lesson cancelled")
        TEACHER_ABSENT = "absent", _("teacher absent")
        REPLACEMENT = "replacement", _("replacement teacher")
        ROOM = "room", _("room change")
        EXTRA = "extra", _("extra lesson")
        MOVED = "moved", _("lesson moved")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="timetable_changes")
    kind = models.CharField(_("change"), max_length=12, choices=Kind.choices)
    slot = models.ForeignKey(Slot, null=True, blank=True, on_delete=models.CASCADE, related_name="changes")
    date = models.DateField(_("date"))  # the day of the slot's lesson (of the extra lesson)
    # Replacement teacher; the teacher of an extra lesson.
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    room = models.CharField(_("room"), max_length=40, blank=True, default="")
    # Moved lesson: where it goes; extra lesson: when it is.
    new_date = models.DateField(_("new date"), null=True, blank=True)
    starts_at = models.TimeField(_("start"), null=True, blank=True)
    ends_at = models.TimeField(_("end"), null=True, blank=True)
    # Extra lesson only (a slot's lesson keeps its own).
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    school_class = models.ForeignKey(SchoolClass, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(_("note for families"), max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("timetable change")
        verbose_name_plural = _("timetable changes")
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["school", "date"]), models.Index(fields=["school", "new_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="extra", slot__isnull=True) | (~Q(kind="extra") & Q(slot__isnull=False)),
                name="change_slot_unless_extra",
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.kind}"


class RegisterReminder(models.Model):
    """One row per lesson whose teacher was reminded to take the register:
    what makes the reminder go out once, however often the task runs."""

    lesson_key = models.CharField(max_length=40, unique=True)
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.lesson_key
