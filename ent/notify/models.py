"""Notifications (the in-app feed), their deliveries by email and SMS, and each
person's preferences."""

import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ent.notify.kinds import KINDS, Frequency


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        # A notification is only ever its recipient's: no role sees another's feed.
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient_id=user.pk)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=64)
    # The pupil this is about, for a parent: per-child muting and "about Léa".
    child = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("about child"),
    )
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True, default="")
    # Rendered at display time, in the reader's language (see ent.notify.rendering).
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notif_feed_idx"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notif_unread_idx"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id}"

    @property
    def kind_info(self):
        return KINDS.get(self.kind)

    @property
    def is_read(self):
        return self.read_at is not None


class Delivery(models.Model):
    """One notification sent (or to be sent) on one external channel. The unique
    constraint is what makes a retried task harmless: there is only one row to claim."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        SMS = "sms", _("SMS")
        WEBPUSH = "webpush", _("push notification")

    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", _("immediate")
        DAILY = "daily", _("daily digest")
        WEEKLY = "weekly", _("weekly digest")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices, default=Mode.IMMEDIATE)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    # Not before: the digest time, or the end of quiet hours.
    due_at = models.DateTimeField(_("due at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True, default="")
    # Set by the task that claimed the row, so it knows which rows it owns.
    claim = models.CharField(max_length=32, blank=True, default="", editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel"),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="delivery_due_idx")]

    def __str__(self):
        return f"{self.get_channel_display()} #{self.notification_id} ({self.status})"


def _quiet_start():
    return datetime.time(20, 0)


def _quiet_end():
    return datetime.time(7, 0)


class NotificationSettings(models.Model):
    """Per-person settings that are not per kind. A missing row means the defaults."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_settings")
    quiet_start = models.TimeField(_("quiet hours start"), default=_quiet_start)
    quiet_end = models.TimeField(_("quiet hours end"), default=_quiet_end)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return f"{self.user}: {self.quiet_start:%H:%M}–{self.quiet_end:%H:%M}"


class Preference(models.Model):
    """How one person wants one kind. A missing row means the kind's defaults."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preferences")
    kind = models.CharField(_("kind"), max_length=64)
    frequency = models.CharField(_("frequency"), max_length=12, choices=Frequency.choices)
    email = models.BooleanField(_("by email"), default=True)
    sms = models.BooleanField(_("by SMS"), default=False)
    # On by default: a person only gets pushes on a device where they asked for them.
    webpush = models.BooleanField(_("by push notification"), default=True)

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_unique")]

    def __str__(self):
        return f"{self.user}: {self.kind} {self.frequency}"


class ChildMute(models.Model):
    """A parent does not want this kind for this child (and still gets it for the others)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_mutes")
    child = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=64)

    class Meta:
        verbose_name = _("muted child")
        verbose_name_plural = _("muted children")
        constraints = [models.UniqueConstraint(fields=["user", "child", "kind"], name="child_mute_unique")]

    def __str__(self):
        return f"{self.user}: {self.kind} muted for {self.child}"


class WebPushSubscriptionQuerySet(models.QuerySet):
    def visible_to(self, user):
        # A device's subscription is only ever its owner's.
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user_id=user.pk)


class WebPushSubscription(models.Model):
    """One browser on one device that asked for push notifications (the Push API's
    subscription). It lives as long as the sign-in it was made in: ending that
    session (signing out, "sign out everywhere") deletes it, so a shared phone
    stops receiving a family's notifications with the session."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webpush_subscriptions",
        verbose_name=_("person"),
    )
    user_session = models.ForeignKey(
        "usersessions.UserSession",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("session"),
    )
    # The push service's URL for this browser: a capability, shown to nobody.
    endpoint = models.URLField(_("endpoint"), max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(_("device"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_sent_at = models.DateTimeField(_("last push"), null=True, blank=True)

    objects = WebPushSubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"push #{self.pk} → {self.user_id}"

    def subscription_info(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}
