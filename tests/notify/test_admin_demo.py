"""Failures are visible in the admin; the demo seed is idempotent."""

import pytest
from django.urls import reverse

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


def test_seed_notifications_is_idempotent(world):
    people = [world.guardian, world.pupil, world.teacher, world.direction]
    created = seed_notifications(people)
    assert created > 0
    assert seed_notifications(people) == 0
    assert Notification.objects.count() == created
    about = set(Notification.objects.filter(recipient=world.guardian).values_list("child_id", flat=True))
    assert {world.pupil.id, world.sibling.id} <= about
    # Seeded rows render like real ones.
    from ent.notify.rendering import render

    for n in Notification.objects.all():
        assert render(n).subject
