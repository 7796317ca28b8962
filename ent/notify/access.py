"""Access to single notifications: the same 404 for "missing" and "not yours"."""

from django.http import Http404

from ent.directory.models import User
from ent.ids import int_id_or_404
from ent.notify.models import Notification


def access_notification(user, notification_id) -> Notification:
    notification_id = int_id_or_404(notification_id)
    notification = Notification.objects.visible_to(user).filter(id=notification_id).first()
    if notification is None:
        raise Http404
    return notification


def preference_children(user):
    """The children a guardian may mute notifications about: their own."""
    return User.objects.children_of(user).order_by("first_name")
