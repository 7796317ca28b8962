"""Conversations, messages, attachments, reports, announcements and the per-school policy.

Each list's `visible_to(user)` is on its queryset, just above its model: what a
person may *read*. Who may *write* to whom is the policy in messaging/access.py.

Read state is one number per participant (the id of the last message they read):
unread counts and read receipts both come from it, so a conversation of 1,000
messages costs no row per message per reader.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ent.files import Scanned

EDIT_WINDOW = timedelta(minutes=10)
MAX_BODY = 10_000
MAX_SUBJECT = 150


class SchoolPolicy(models.Model):
    """How direction tightens the default messaging policy for its school. No row
    means the default policy of DESIGN.md."""

    school = models.OneToOneField("directory.School", on_delete=models.CASCADE, related_name="messaging_policy")
    pupils_may_write = models.BooleanField(
        _("pupils may use the messaging"),
        default=True,
        help_text=_("When off, pupils can neither write nor be written to."),
    )
    pupils_may_start = models.BooleanField(
        _("pupils may start a conversation"),
        default=True,
        help_text=_("When off, pupils may only reply to conversations an adult started."),
    )
    parents_may_start = models.BooleanField(
        _("parents may start a conversation"),
        default=True,
        help_text=_("When off, parents may only reply to conversations the school started."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("messaging policy")
        verbose_name_plural = _("messaging policies")

    def __str__(self):
        return str(self.school)


DEFAULT_POLICY = SchoolPolicy(pupils_may_write=True, pupils_may_start=True, parents_may_start=True)


def _authenticated(user):
    return getattr(user, "is_authenticated", False) and user.pk is not None


class ConversationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Only the conversations one takes part in: nobody reads others' mail,
        not even direction (moderation shows reported messages, see access.py)."""
        if not _authenticated(user):
            return self.none()
        return self.filter(participants__user=user)


class Conversation(models.Model):
    school = models.ForeignKey("directory.School", on_delete=models.CASCADE, related_name="conversations")
    subject = models.CharField(pgettext_lazy("conversation", "subject"), max_length=MAX_SUBJECT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # Kept so that the "parents only together in a conversation staff opened" rule
    # holds even if the opener later leaves the school.
    opened_by_staff = models.BooleanField(default=False)
    # The pupil the conversation is about (optional), for a family's context.
    about = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A private reply to an announcement.
    announcement = models.ForeignKey(
        "Announcement", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    last_message_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at", "-id"]

    def __str__(self):
        return self.subject

    @property
    def is_closed(self):
        return self.closed_at is not None


class Participant(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_links")
    joined_at = models.DateTimeField(default=timezone.now)
    last_read_id = models.BigIntegerField(default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)
    archived = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="participant_unique")]
        indexes = [models.Index(fields=["user", "archived"])]

    def __str__(self):
        return f"{self.user} in {self.conversation_id}"


class MessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not _authenticated(user):
            return self.none()
        return self.filter(conversation__participants__user=user)


class Message(models.Model):
    class Hidden(models.TextChoices):
        NO = "", _("visible")
        AUTHOR = "author", _("deleted by its author")
        MODERATION = "moderation", _("hidden by the school")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # What the author typed, kept for the record even when hidden.
    body = models.TextField(_("message"), max_length=MAX_BODY)
    # body through ent.sanitize (linkify_text or sanitize_html): the only HTML shown.
    html = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden = models.CharField(max_length=16, choices=Hidden.choices, default=Hidden.NO, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["id"]
        indexes = [models.Index(fields=["conversation", "id"])]

    def __str__(self):
        return f"#{self.id} {self.body[:40]}"

    @property
    def is_hidden(self):
        return bool(self.hidden)

    def editable_until(self):
        return self.created_at + EDIT_WINDOW


def attachment_key(conversation_id, token):
    return f"messaging/{conversation_id}/{token}"


class Attachment(Scanned):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    key = models.CharField(max_length=200, unique=True)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self):
        return self.filename

    # What ent/files.py needs to tell the owner about the antivirus' verdict.
    file_stamp_field = "message__created_at"

    def file_owner_id(self):
        return self.message.author_id

    def file_title(self):
        return self.message.conversation.subject

    def file_page_url(self):
        return reverse("messaging:conversation", args=[self.message.conversation_id])


class Report(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["message", "reporter"], name="report_once_per_person")]

    def __str__(self):
        return f"report on {self.message_id}"


class AnnouncementQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Its author, its recipients, and the staff of its school (who answer for
        what the school sends)."""
        if not _authenticated(user):
            return self.none()
        q = Q(author=user) | Q(id__in=AnnouncementRecipient.objects.filter(user=user).values("announcement_id"))
        staff_schools = user.roles.staff_school_ids()
        if staff_schools:
            q |= Q(school_id__in=staff_schools)
        return self.filter(q)


class Announcement(models.Model):
    class Audience(models.TextChoices):
        CLASS = "class", _("a class's families")
        GROUP = "group", _("a group's families")
        SCHOOL = "school", _("all the school's families")

    school = models.ForeignKey("directory.School", on_delete=models.CASCADE, related_name="announcements")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=MAX_SUBJECT)
    body = models.TextField(_("text"), max_length=MAX_BODY)
    html = models.TextField(editable=False)
    audience = models.CharField(pgettext_lazy("recipients", "to"), max_length=10, choices=Audience.choices)
    school_class = models.ForeignKey(
        "directory.SchoolClass", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    group = models.ForeignKey("directory.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requires_confirmation = models.BooleanField(_("ask for a read confirmation"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Set once the families' notifications (feed, email, SMS) are written: that
    # happens after the commit, in a Celery task, so that the live push is not
    # held up by them; messaging.notify_pending_announcements catches up on any
    # task that was lost.
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveIntegerField(default=0)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(audience="class", school_class__isnull=False)
                    | Q(audience="group", group__isnull=False)
                    | Q(audience="school")
                ),
                name="announcement_audience_target",
            )
        ]

    def __str__(self):
        return self.title

    def audience_label(self):
        if self.audience == self.Audience.CLASS and self.school_class:
            return self.school_class.name
        if self.audience == self.Audience.GROUP and self.group:
            return self.group.name
        return self.school.name


class AnnouncementRecipient(models.Model):
    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("announcement recipient")
        verbose_name_plural = _("announcement recipients")
        constraints = [models.UniqueConstraint(fields=["announcement", "user"], name="announcement_recipient_unique")]
        indexes = [models.Index(fields=["user", "announcement"])]

    def __str__(self):
        return f"{self.user} ← {self.announcement_id}"
