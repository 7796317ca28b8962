"""Failures are visible in the admin; the demo seed is idempotent."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ent.notify.demo import seed_notifications
from ent.notify.models import Delivery, Notification
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_failed_delivery_shows_in_admin_with_its_reason(world, client, login_as):
    notification = Notification.objects.create(recipient=world.guardian, kind="absence.unexplained")
    Delivery.objects.create(
        notification=notification,
        channel="sms",
        status=Delivery.Status.FAILED,
        attempts=6,
        error="SmsTransientError: gateway answered 503",
        due_at=notification.created_at,
    )
    Delivery.objects.create(notification=notification, channel="email", status="sent", due_at=notification.created_at)
    admin = make_user("superviseur", is_staff=True, is_superuser=True)
    c = login_as(admin)
    url = reverse("admin:notify_delivery_changelist")
    response = c.get(url, {"status__exact": "failed"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "gateway answered 503" in html
    assert response.context["cl"].result_count == 1
    assert c.get(reverse("admin:notify_notification_change", args=[notification.id])).status_code == 200


def test_seed_notifications_invents_nothing_and_is_idempotent(world):
    """The demo feed is what the apps' actions sent: the hook only marks the
    older ones read (the newest two stay unread), once."""
    now = timezone.now()
    rows = [
        Notification.objects.create(
            recipient=world.guardian, kind="absence.unexplained", created_at=now - timedelta(hours=i)
        )
        for i in range(4)
    ]
    people = [world.guardian, world.pupil, world.teacher, world.direction]
    assert seed_notifications(people) == 2
    assert seed_notifications(people) == 0
    assert Notification.objects.count() == 4
    unread = set(Notification.objects.filter(read_at__isnull=True).values_list("id", flat=True))
    assert unread == {rows[0].id, rows[1].id}
