"""Access to single notifications: the same 404 for "missing" and "not yours"."""

from django.http import Http404

from ent.notify.models import Notification


def access_notification(user, notification_id) -> Notification:
    try:
        notification_id = int(notification_id)
    except (TypeError, ValueError):
        raise Http404 from None
    notification = Notification.objects.visible_to(user).filter(id=notification_id).first()
    if notification is None:
        raise Http404
    return notification
