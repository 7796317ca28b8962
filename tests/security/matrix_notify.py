"""Access matrix of the notification feed (see tests/security/matrix.py).

Each person reads and marks only their own notifications: marking someone
else's (here, one addressed to `guardian` about `pupil`) is a 404."""

from tests.security.matrix import Route, expect, only


def _guardians_notification(w):
    from ent.notify.api import notify
    from ent.notify.models import Notification

    notify([w.guardian], "homework.published", child=w.pupil, context={"title": "Exercices", "url": "/cahier/"})
    return {"notification_id": Notification.objects.filter(recipient=w.guardian).latest("id").id}


def _guardians_push_device(w):
    from ent.notify.models import WebPushSubscription

    device = WebPushSubscription.objects.create(
        user=w.guardian, endpoint="https://fcm.googleapis.com/fcm/send/matrix", p256dh="k", auth="a"
    )
    return {"subscription_id": device.id}


ROUTES = {
    "notify:feed": Route(expect(200)),
    "notify:preferences": Route(expect(200)),
    "notify:mark_all_read": Route(expect(302), method="post"),
    "notify:mark_read": Route(only(["guardian"], status=302), method="post", kwargs=_guardians_notification),
    # Web Push: the browser's JSON calls (a form post is the wrong content type: 415),
    # and "Stop notifications" on Mes appareils, for one's own device only.
    "notify:webpush_subscribe": Route(expect(415), method="post", note="JSON only; tests/notify/test_webpush.py"),
    "notify:webpush_unsubscribe": Route(expect(415), method="post", note="JSON only; tests/notify/test_webpush.py"),
    "notify:webpush_remove": Route(only(["guardian"], status=302), method="post", kwargs=_guardians_push_device),
    # The installable app: its manifest and worker hold no personal data; the offline
    # list says only "no account" to an anonymous visitor.
    "notify:offline_list": Route(expect(200, anonymous=200)),
    "pwa_manifest": Route(expect(200, anonymous=200)),
    "pwa_service_worker": Route(expect(200, anonymous=200)),
}
