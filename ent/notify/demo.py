"""The demo feed, after every app has seeded its records: the notifications in
it are those the apps' own actions sent (homework posted, the register's
absence alert, a message, an announcement...), so each one is about a record
that exists and links to a page that shows it (tests/ops/test_demo_truth.py).
This hook makes nothing up; it only marks each person's older notifications
read, so the feed shows both states. Running it twice changes nothing.
"""

from django.db import transaction
from django.utils import timezone

from ent.notify.models import Notification

# The newest ones stay unread: enough for the badge, and the rest show as read.
UNREAD_KEPT = 2


def seed_notifications(users) -> int:
    """Mark all but the newest UNREAD_KEPT notifications of each user read; the
    number marked (0 on a second run)."""
    marked = 0
    now = timezone.now()
    with transaction.atomic():
        for user in users:
            feed = Notification.objects.filter(recipient=user).order_by("-created_at", "-id")
            older = list(feed.values_list("id", flat=True)[UNREAD_KEPT:])
            marked += Notification.objects.filter(id__in=older, read_at__isnull=True).update(read_at=now)
    return marked
