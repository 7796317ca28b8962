"""Access to single notifications: the same 404 for "missing" and "not yours"."""

from django.http import Http404

from ent.directory.models import User
from ent.ids import int_id_or_404
from ent.notify.models import Notification, WebPushSubscription


def access_notification(user, notification_id) -> Notification:
    notification_id = int_id_or_404(notification_id)
    notification = Notification.objects.visible_to(user).filter(id=notification_id).first()
    if notification is None:
        raise Http404
    return notification


def preference_children(user):
    """The children a guardian may mute notifications about: their own."""
    return User.objects.children_of(user).order_by("first_name")


def access_subscription(user, subscription_id) -> WebPushSubscription:
    """One of the person's own push subscriptions: another's is the same 404 as none."""
    subscription_id = int_id_or_404(subscription_id)
    subscription = WebPushSubscription.objects.visible_to(user).filter(id=subscription_id).first()
    if subscription is None:
        raise Http404
    return subscription


def subscription_by_endpoint(user, endpoint) -> WebPushSubscription | None:
    """The browser unsubscribing itself names its endpoint, not our id: the
    person's own subscription at that endpoint, else None (the JSON call then
    answers 404 with a message, as for anyone else's)."""
    if not isinstance(endpoint, str) or not endpoint:
        return None
    return WebPushSubscription.objects.visible_to(user).filter(endpoint=endpoint).first()


def device_subscriptions(user):
    """The person's devices that take pushes, for "Mes appareils"."""
    return WebPushSubscription.objects.visible_to(user).only("id", "user_agent", "created_at", "user_session_id")
