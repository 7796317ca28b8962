"""Access matrix of the notification feed (see tests/security/matrix.py).

Each person reads and marks only their own notifications: marking someone
else's (here, one addressed to `guardian` about `pupil`) is a 404."""

from tests.security.matrix import Route, expect, only


def _guardians_notification(w):
    from ent.notify.api import notify
    from ent.notify.models import Notification

    notify([w.guardian], "homework.published", child=w.pupil, context={"title": "Exercices", "url": "/cahier/"})
    return {"notification_id": Notification.objects.filter(recipient=w.guardian).latest("id").id}


ROUTES = {
    "notify:feed": Route(expect(200)),
    "notify:preferences": Route(expect(200)),
    "notify:mark_all_read": Route(expect(302), method="post"),
    "notify:mark_read": Route(only(["guardian"], status=302), method="post", kwargs=_guardians_notification),
}
