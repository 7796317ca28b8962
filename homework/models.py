"""The homework diary (cahier de textes): entries posted by teachers for a class
or a group, the pupils' done-ticks and hand-ins, the edit history, the direction's
visas, calendar feeds and end-of-year archives."""

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ent.directory.models import Group, StaffRole
from ent.directory.roles import roles_of
from ent.files import Scanned

USER = settings.AUTH_USER_MODEL

# Staff who read every diary of their school; only the direction puts a visa and
# asks for the year's archive.
READER_ROLES = (StaffRole.Role.DIRECTION, StaffRole.Role.VIE_SCOLAIRE)
VISA_ROLES = (StaffRole.Role.DIRECTION,)


def published_q(now=None):
    return Q(publish_at__isnull=True) | Q(publish_at__lte=now or timezone.now())


def _groups_of_pupils(pupil_ids):
    """Current groups of these pupils, as a subquery (no round trip)."""
    return Group.members.through.objects.filter(user_id__in=pupil_ids, group__year__is_current=True).values("group_id")


class EntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        roles = roles_of(user)
        if roles is None:
            return self.none()
        now = timezone.now()
        q = Q(pk__in=[])
        family_classes = set(roles.pupil_class_ids)
        for class_ids in roles.child_class_ids.values():
            family_classes |= class_ids
        family_target = Q(school_class_id__in=family_classes)
        if roles.pupil_group_ids:
            family_target |= Q(group_id__in=roles.pupil_group_ids)
        if roles.child_ids:
            family_target |= Q(group_id__in=_groups_of_pupils(roles.child_ids))
        if family_classes or roles.pupil_group_ids or roles.child_ids:
            # Families see an entry only once it is published.
            q |= family_target & published_q(now)
        if roles.is_teacher:
            taught = Q(school_class_id__in=roles.taught_class_ids) | Q(group_id__in=roles.taught_group_ids)
            # A scheduled entry is its author's until it is published.
            q |= taught & (published_q(now) | Q(author_id=roles.user_id))
        readers = roles.staff_school_ids(*READER_ROLES)
        if readers:
            q |= Q(school_id__in=readers)
        return self.filter(q)

    def _of_pupil(self, pupil_id, class_ids):
        """Entries of this pupil's classes and groups, published or not."""
        return self.filter(Q(school_class_id__in=class_ids) | Q(group_id__in=_groups_of_pupils([pupil_id])))

    def next_publication_for_pupil(self, pupil_id, class_ids):
        """When the next scheduled entry of this pupil's classes and groups
        appears (None: none scheduled): a cached diary page must not outlive it."""
        entries = self._of_pupil(pupil_id, class_ids).filter(publish_at__gt=timezone.now())
        return entries.aggregate(next=models.Min("publish_at"))["next"]

    def with_done(self, pupil_id):
        """Each entry annotated `done`: whether this pupil ticked it (no extra query)."""
        return self.annotate(done=models.Exists(Done.objects.filter(entry=models.OuterRef("pk"), pupil_id=pupil_id)))

    def for_pupil(self, pupil_id, class_ids):
        """What one pupil has to do: published entries of their classes and groups."""
        return self._of_pupil(pupil_id, class_ids).filter(published_q())


class Entry(models.Model):
    class Kind(models.TextChoices):
        WORK = "work", _("Work to do")
        LESSON = "lesson", _("Lesson content")

    class WorkType(models.TextChoices):
        EXERCISES = "exercises", _("Exercises")
        HOMEWORK = "homework", _("Homework")
        TEST = "test", _("Test to revise")
        OTHER = "other", _("Other")

    school = models.ForeignKey("directory.School", on_delete=models.CASCADE, related_name="+")
    school_class = models.ForeignKey(
        "directory.SchoolClass", null=True, blank=True, on_delete=models.CASCADE, related_name="homework_entries"
    )
    group = models.ForeignKey(
        "directory.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="homework_entries"
    )
    subject = models.ForeignKey(
        "directory.Subject",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("subject"),
    )
    # The diary is an official record: it outlives the teacher's account.
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="homework_entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WORK)
    title = models.CharField(_("title"), max_length=200)
    # Sanitized HTML (ent.sanitize.sanitize_html, applied by the actions).
    instructions = models.TextField(_("instructions"), blank=True, default="")
    work_type = models.CharField(_("type"), max_length=12, choices=WorkType.choices, blank=True, default="")
    given_on = models.DateField(_("given on"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    # Scheduled publication: invisible to families until then.
    publish_at = models.DateTimeField(_("published at"), null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(_("estimated time (minutes)"), null=True, blank=True)
    hand_in = models.BooleanField(_("online hand-in"), default=False)
    # Occurrences of one recurring entry share a series id.
    series = models.UUIDField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # When families were told (once, at publication).
    announced_at = models.DateTimeField(null=True, blank=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("diary entry")
        verbose_name_plural = _("diary entries")
        ordering = ["due_on", "given_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(school_class__isnull=False, group__isnull=True)
                    | Q(school_class__isnull=True, group__isnull=False)
                ),
                name="homework_entry_class_xor_group",
            ),
            models.CheckConstraint(
                condition=Q(due_on__isnull=True) | Q(due_on__gte=F("given_on")), name="homework_due_after_given"
            ),
            models.CheckConstraint(
                condition=~Q(kind="work") | Q(due_on__isnull=False), name="homework_work_has_due_date"
            ),
        ]
        indexes = [
            models.Index(fields=["school_class", "due_on"]),
            models.Index(fields=["group", "due_on"]),
            models.Index(fields=["school_class", "given_on"]),
            models.Index(fields=["group", "given_on"]),
        ]

    def __str__(self):
        return self.title

    @property
    def target(self):
        return self.school_class or self.group

    @property
    def target_slug(self):
        return f"c{self.school_class_id}" if self.school_class_id else f"g{self.group_id}"

    @property
    def is_work(self):
        return self.kind == self.Kind.WORK

    @property
    def is_published(self):
        return self.publish_at is None or self.publish_at <= timezone.now()

    @property
    def hand_in_deadline(self):
        """Hand-ins are on time until the end of the due date (school's time zone)."""
        if self.due_on is None:
            return None
        end = datetime.datetime.combine(self.due_on + datetime.timedelta(days=1), datetime.time.min)
        return timezone.make_aware(end)

    @property
    def hand_in_open(self):
        deadline = self.hand_in_deadline
        return deadline is not None and timezone.now() < deadline


class Attachment(Scanned):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="attachments")
    # Copies and occurrences of a recurring entry share the stored object: it is
    # removed from the store only when no row points at it any more.
    key = models.CharField(max_length=200, db_index=True)
    filename = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self):
        return self.filename

    # What ent/files.py needs to tell the owner about the antivirus' verdict.
    file_stamp_field = "created_at"

    def file_owner_id(self):
        return self.entry.author_id

    def file_title(self):
        return self.entry.title

    def file_page_url(self):
        return reverse("homework:entry_detail", args=[self.entry_id])


class Done(models.Model):
    """A pupil's tick: "I have done it"."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="done_marks")
    pupil = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="homework_done")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "pupil"], name="homework_done_unique")]

    def __str__(self):
        return f"{self.pupil_id} ✓ {self.entry_id}"


class Submission(Scanned):
    """A pupil's online hand-in: a file in the store or a link."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="submissions")
    pupil = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="homework_submissions")
    key = models.CharField(max_length=200, blank=True, default="", db_index=True)
    filename = models.CharField(max_length=200, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True, default="")
    link = models.URLField(_("link"), max_length=500, blank=True, default="")
    submitted_at = models.DateTimeField(default=timezone.now)
    is_late = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "pupil"], name="homework_submission_unique"),
            models.CheckConstraint(condition=~Q(key="") | ~Q(link=""), name="homework_submission_file_or_link"),
        ]

    def __str__(self):
        return f"{self.pupil_id} → {self.entry_id}"

    file_stamp_field = "submitted_at"

    def file_owner_id(self):
        return self.pupil_id

    def file_title(self):
        return self.entry.title

    def file_page_url(self):
        return reverse("homework:entry_detail", args=[self.entry_id])


class Revision(models.Model):
    """One edit of a published entry: the diary is an official record."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="revisions")
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    # [{"field": "title", "before": "...", "after": "..."}, ...]
    changes = models.JSONField(default=list)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.entry_id} @ {self.at:%Y-%m-%d %H:%M}"


class Visa(models.Model):
    """The direction's dated approval of a class's (or group's) diary."""

    school_class = models.ForeignKey(
        "directory.SchoolClass", null=True, blank=True, on_delete=models.CASCADE, related_name="homework_visas"
    )
    group = models.ForeignKey(
        "directory.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="homework_visas"
    )
    signed_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)
    comment = models.CharField(_("comment"), max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(school_class__isnull=False, group__isnull=True)
                    | Q(school_class__isnull=True, group__isnull=False)
                ),
                name="homework_visa_class_xor_group",
            ),
        ]

    def __str__(self):
        return f"visa {self.signed_at:%Y-%m-%d}"


def new_feed_token():
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A secret iCal address: `owner` subscribes to `pupil`'s work or timetable
    (themselves, or one of their children). The token is shown again on the
    settings page (a parent re-adds it on a new phone), so it is stored as is;
    revoking it is the protection against a leaked address.

    The one token mechanism of the ENT: a timetable feed is a row of kind
    TIMETABLE, so it is made, renewed and revoked the same way. A teacher's
    timetable feed has owner == pupil == the teacher (`pupil` then reads
    "whose calendar"); homework feeds stay pupils' and parents' only."""

    class Kind(models.TextChoices):
        HOMEWORK = "homework", _("work to do")
        TIMETABLE = "timetable", _("timetable")

    owner = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="homework_feeds")
    pupil = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.HOMEWORK)
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "pupil", "kind"],
                condition=Q(revoked_at__isnull=True),
                name="homework_one_live_feed_per_kind",
            ),
        ]

    def __str__(self):
        return f"feed {self.owner_id} → {self.pupil_id}"


class Archive(models.Model):
    """An end-of-year PDF of a class's diary, built by a Celery task."""

    class Status(models.TextChoices):
        PENDING = "pending", _("being prepared")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    school_class = models.ForeignKey(
        "directory.SchoolClass", on_delete=models.CASCADE, related_name="homework_archives"
    )
    requested_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    key = models.CharField(max_length=200, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"archive {self.school_class_id} {self.status}"


class Reminder(models.Model):
    """Marks the evening reminder as sent for a pupil and a due date, so a
    re-run of the task sends nothing twice."""

    pupil = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pupil", "due_on"], name="homework_reminder_unique")]

    def __str__(self):
        return f"reminder {self.pupil_id} {self.due_on}"
