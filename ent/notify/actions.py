"""Every change of state in ent.notify: reading, preferences, and sending
deliveries (called by the Celery tasks, which only take ids and retry)."""

import smtplib
import uuid

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ent.errors import CannotTurnOff
from ent.notify import pagescopes, rendering, sms, webpush
from ent.notify.kinds import KINDS, Frequency
from ent.notify.models import (
    ChildMute,
    Delivery,
    Notification,
    NotificationSettings,
    Preference,
    WebPushSubscription,
)
from ent.pagecache import bump_after_commit


class TransientDeliveryError(Exception):
    """The channel failed in a way worth retrying; the deliveries are pending again."""


# Reading


def do_mark_read(user, notification: Notification) -> None:
    with transaction.atomic():
        updated = Notification.objects.filter(id=notification.id, read_at__isnull=True).update(read_at=timezone.now())
        if updated:
            _push_on_commit([user.id])


def do_mark_all_read(user) -> int:
    with transaction.atomic():
        updated = Notification.objects.visible_to(user).unread().update(read_at=timezone.now())
        if updated:
            _push_on_commit([user.id])
    return updated


def _push_on_commit(user_ids):
    from ent.notify import tasks

    bump_after_commit(pagescopes.bump_recipients, list(user_ids))  # the badge is in every cached page
    transaction.on_commit(lambda: tasks.push_unread.delay(list(user_ids)))


# Preferences


def check_preference(kind_code: str, frequency: str) -> None:
    kind = KINDS[kind_code]
    if frequency == Frequency.OFF and not kind.can_be_turned_off:
        raise CannotTurnOff(
            _("“%(kind)s” cannot be turned off: the school must be able to reach you about it.") % {"kind": kind.label}
        )


def do_save_preferences(user, *, kinds: dict, mutes: set, quiet_start, quiet_end) -> None:
    """kinds: code -> (frequency, email, sms, webpush); mutes: {(child_id, code)} the person
    wants muted, for their own children only (checked by the form)."""
    for code, (frequency, *_channels) in kinds.items():
        check_preference(code, frequency)
    with transaction.atomic():
        for code, (frequency, email, sms_on, push_on) in kinds.items():
            Preference.objects.update_or_create(
                user=user,
                kind=code,
                defaults={"frequency": frequency, "email": email, "sms": sms_on, "webpush": push_on},
            )
        current = set(ChildMute.objects.filter(user=user).values_list("child_id", "kind"))
        for child_id, code in mutes - current:
            ChildMute.objects.create(user=user, child_id=child_id, kind=code)
        for child_id, code in current - mutes:
            ChildMute.objects.filter(user=user, child_id=child_id, kind=code).delete()
        NotificationSettings.objects.update_or_create(
            user=user, defaults={"quiet_start": quiet_start, "quiet_end": quiet_end}
        )


# Sending


def retry_countdown(retries: int) -> int:
    """Exponential backoff: 30 s, 1 min, 2 min... capped at one hour."""
    return min(settings.NOTIFY_RETRY_BASE_SECONDS * 2**retries, 3600)


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, webpush.PushError):
        return isinstance(exc, webpush.PushTransientError)
    if isinstance(exc, sms.SmsError):
        return isinstance(exc, sms.SmsTransientError)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    return isinstance(exc, smtplib.SMTPException | OSError)


def _claim(ids) -> tuple[str, list[Delivery]]:
    """Move due pending rows to "sending" under a fresh token. Only rows this call
    moved carry the token, so two runs of the same task never both send."""
    token = uuid.uuid4().hex
    Delivery.objects.filter(id__in=ids, status=Delivery.Status.PENDING, due_at__lte=timezone.now()).update(
        status=Delivery.Status.SENDING, claim=token, attempts=F("attempts") + 1
    )
    rows = list(
        Delivery.objects.filter(id__in=ids, claim=token, status=Delivery.Status.SENDING)
        .select_related("notification__recipient", "notification__child")
        .order_by("notification__created_at", "id")
    )
    return token, rows


def _finish(token, ids, exc: Exception | None, *, last_attempt: bool) -> str:
    rows = Delivery.objects.filter(id__in=ids, claim=token, status=Delivery.Status.SENDING)
    if exc is None:
        rows.update(status=Delivery.Status.SENT, sent_at=timezone.now(), error="")
        return Delivery.Status.SENT
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if _is_transient(exc) and not last_attempt:
        rows.update(status=Delivery.Status.PENDING, error=error)
        raise TransientDeliveryError(error) from exc
    rows.update(status=Delivery.Status.FAILED, error=error)
    return Delivery.Status.FAILED


def do_send_delivery(delivery_id: int, *, last_attempt: bool = False) -> str | None:
    """Send one immediate delivery if it is still pending and due. Returns the new
    status, or None when there was nothing to do (already sent, not yet due)."""
    token, rows = _claim([delivery_id])
    if not rows:
        return None
    delivery = rows[0]
    try:
        if delivery.channel == Delivery.Channel.EMAIL:
            _send_notification_email(delivery.notification)
        elif delivery.channel == Delivery.Channel.WEBPUSH:
            _send_webpush(delivery.notification)
        else:
            sms.send_sms(delivery.notification.recipient.phone, rendering.sms_text(delivery.notification))
    except Exception as exc:
        if not isinstance(exc, smtplib.SMTPException | OSError | sms.SmsError | webpush.PushError):
            # A bug, not a channel failure: record it, then let it surface.
            _finish(token, [delivery_id], exc, last_attempt=True)
            raise
        return _finish(token, [delivery_id], exc, last_attempt=last_attempt)
    return _finish(token, [delivery_id], None, last_attempt=last_attempt)


def do_send_digest(user_id: int, delivery_ids, *, last_attempt: bool = False) -> str | None:
    """One email for every due digest delivery of one person."""
    token, rows = _claim(delivery_ids)
    rows = [d for d in rows if d.notification.recipient_id == user_id and d.channel == Delivery.Channel.EMAIL]
    if not rows:
        return None
    ids = [d.id for d in rows]
    try:
        _send_digest_email(rows[0].notification.recipient, [d.notification for d in rows])
    except (smtplib.SMTPException, OSError) as exc:
        return _finish(token, ids, exc, last_attempt=last_attempt)
    except Exception as exc:
        _finish(token, ids, exc, last_attempt=True)
        raise
    return _finish(token, ids, None, last_attempt=last_attempt)


def due_deliveries(mode: str | None = None):
    """Pending deliveries whose time has come: (immediate ids, {user id: digest ids})."""
    qs = Delivery.objects.filter(status=Delivery.Status.PENDING, due_at__lte=timezone.now())
    if mode is not None:
        qs = qs.filter(mode=mode)
    immediate, digests = [], {}
    for delivery_id, mode_, user_id in qs.values_list("id", "mode", "notification__recipient_id").order_by("id"):
        if mode_ == Delivery.Mode.IMMEDIATE:
            immediate.append(delivery_id)
        else:
            digests.setdefault(user_id, []).append(delivery_id)
    return immediate, digests


def _send_webpush(notification):
    """To every device of the recipient that took pushes. A device the push service
    says is gone (404/410) is forgotten, whatever happens to the others."""
    if not webpush.enabled():
        raise webpush.PushError("web push is off (no VAPID keys)")
    subscriptions = list(WebPushSubscription.objects.filter(user_id=notification.recipient_id))
    if not subscriptions:
        raise webpush.PushError("no device subscribed")
    try:
        result = webpush.send(subscriptions, webpush.payload(notification))
    except webpush.PushTransientError as exc:
        _forget_gone(exc.result.gone)
        raise
    _forget_gone(result.gone)
    if not result.sent:
        raise webpush.PushError("no device took the push")


def _forget_gone(subscription_ids):
    if subscription_ids:
        WebPushSubscription.objects.filter(id__in=subscription_ids).delete()


# Push subscriptions (one per browser on a device)


def do_subscribe_webpush(user, data, *, session_key: str | None, user_agent: str = "") -> WebPushSubscription:
    """Record (or take over) the subscription a browser made. One row per endpoint:
    the same browser subscribing again, or another person signing in on it, moves
    the row to the current person and session, so a shared phone never pushes the
    previous family's news."""
    fields = webpush.check_subscription(data)
    if not webpush.enabled():
        raise webpush.InvalidPushSubscription(_("Push notifications are not available on this ENT."))
    with transaction.atomic():
        user_session = UserSession.objects.filter(user=user, session_key=session_key).first() if session_key else None
        subscription, _created = WebPushSubscription.objects.update_or_create(
            endpoint=fields["endpoint"],
            defaults={
                "user": user,
                "user_session": user_session,
                "p256dh": fields["p256dh"],
                "auth": fields["auth"],
                "user_agent": (user_agent or "")[:300],
            },
        )
    return subscription


def do_unsubscribe_webpush(user, subscription: WebPushSubscription) -> None:
    """Remove one of the person's own subscriptions (access_subscription checked it)."""
    with transaction.atomic():
        WebPushSubscription.objects.filter(id=subscription.id, user_id=user.id).delete()


def _send_notification_email(notification):
    rendered = rendering.render(notification, language=settings.LANGUAGE_CODE, for_email=True)
    context = {"rendered": rendered, "url": rendering.absolute(notification.url), "site_url": settings.SITE_URL}
    with translation.override(settings.LANGUAGE_CODE):
        text = render_to_string("notify/email/notification.txt", context)
        html = render_to_string("notify/email/notification.html", context)
    _send_email(notification.recipient.email, rendered.subject, text, html)


def _send_digest_email(recipient, notifications):
    items = [
        {
            "rendered": rendering.render(n, language=settings.LANGUAGE_CODE, for_email=True),
            "url": rendering.absolute(n.url),
            "created_at": n.created_at,
        }
        for n in notifications
    ]
    context = {"items": items, "recipient": recipient, "site_url": settings.SITE_URL}
    with translation.override(settings.LANGUAGE_CODE):
        subject = ngettext(
            "Your ENT digest: %(count)d notification", "Your ENT digest: %(count)d notifications", len(items)
        ) % {"count": len(items)}
        text = render_to_string("notify/email/digest.txt", context)
        html = render_to_string("notify/email/digest.html", context)
    _send_email(recipient.email, subject, text, html)


def _send_email(to, subject, text, html):
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()
