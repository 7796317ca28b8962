"""Sending: idempotence, retries with backoff, and failures recorded for good.
The SMS gateway and the SMTP server are real local servers."""

import datetime

import pytest

from ent.notify import actions, sms, tasks
from ent.notify.api import notify
from ent.notify.models import Delivery, NotificationSettings

MIDNIGHT = datetime.time(0, 0)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_quiet_hours(settings, world):
    # These tests are about sending, whatever the hour they run at: no night, and
    # no quiet hours for Sophie (start == end).
    settings.NOTIFY_NIGHT_START_HOUR = settings.NOTIFY_NIGHT_END_HOUR = 0
    NotificationSettings.objects.create(user=world.guardian, quiet_start=MIDNIGHT, quiet_end=MIDNIGHT)


@pytest.fixture
def parent(world):
    world.guardian.phone = "06 12 34 56 78"
    world.guardian.save()
    return world.guardian


def test_same_task_twice_sends_once(parent, mailoutbox, sms_outbox, committed):
    with committed():
        notify([parent], "absence.unexplained")
    assert len(mailoutbox) == 1 and len(sms_outbox) == 1
    for delivery in Delivery.objects.all():
        tasks.deliver.delay(delivery.id)
        tasks.deliver.apply(args=[delivery.id])
        assert actions.do_send_delivery(delivery.id) is None
    tasks.release_due.delay()
    assert len(mailoutbox) == 1 and len(sms_outbox) == 1
    assert {d.attempts for d in Delivery.objects.all()} == {1}


def test_one_delivery_per_notification_and_channel(parent, committed):
    from django.db import IntegrityError, transaction

    with committed():
        notify([parent], "message.new")
    delivery = Delivery.objects.get(channel="email")
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(notification=delivery.notification, channel="email", due_at=delivery.due_at)


def test_sms_gateway_fails_once_then_succeeds(parent, gateway, committed):
    gw = gateway([503, 200])
    with committed():
        notify([parent], "absence.unexplained", context={"period": "matin"})
    sms_delivery = Delivery.objects.get(channel="sms")
    assert sms_delivery.status == Delivery.Status.SENT
    assert sms_delivery.attempts == 2
    assert len(gw.requests) == 2
    request = gw.requests[-1]
    assert request["headers"]["Authorization"] == "Bearer test-key"
    assert request["body"]["sender"] == "ENTTEST"
    assert request["body"]["recipients"] == ["+33612345678"]
    assert request["body"]["message"].startswith("ENT : ")


def test_sms_gateway_always_failing_is_recorded(parent, gateway, settings, committed):
    settings.NOTIFY_MAX_RETRIES = 3
    gw = gateway([500])
    with committed():
        notify([parent], "absence.unexplained")
    sms_delivery = Delivery.objects.get(channel="sms")
    assert sms_delivery.status == Delivery.Status.FAILED
    assert sms_delivery.attempts == 4
    assert "500" in sms_delivery.error
    assert len(gw.requests) == 4
    # Email is another channel: it went.
    assert Delivery.objects.get(channel="email").status == Delivery.Status.SENT


def test_sms_gateway_refusal_is_final_at_once(parent, gateway, committed):
    gw = gateway([400])
    with committed():
        notify([parent], "absence.unexplained")
    sms_delivery = Delivery.objects.get(channel="sms")
    assert (sms_delivery.status, sms_delivery.attempts, len(gw.requests)) == ("failed", 1, 1)
    assert "400" in sms_delivery.error


def test_sms_gateway_unreachable_is_transient(settings, parent, committed):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    settings.SMS_BACKEND = "http"
    settings.SMS_API_URL = f"http://127.0.0.1:{port}/sms"
    settings.NOTIFY_MAX_RETRIES = 1
    with committed():
        notify([parent], "absence.unexplained")
    sms_delivery = Delivery.objects.get(channel="sms")
    assert (sms_delivery.status, sms_delivery.attempts) == ("failed", 2)
    assert "unreachable" in sms_delivery.error


def test_smtp_transient_error_is_retried(parent, smtp_server, committed):
    server = smtp_server(["451 4.3.0 try again later", "250 OK queued"])
    with committed():
        notify([parent], "message.new", context={"sender_name": "Anne Leroy"})
    delivery = Delivery.objects.get(channel="email")
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(server.messages) == 2


def test_smtp_permanent_error_is_recorded(parent, smtp_server, committed):
    smtp_server(["554 5.7.1 rejected"])
    with committed():
        notify([parent], "message.new")
    delivery = Delivery.objects.get(channel="email")
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "554" in delivery.error


def test_backoff_is_exponential(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 30
    assert [actions.retry_countdown(n) for n in range(4)] == [30, 60, 120, 240]
    assert actions.retry_countdown(20) == 3600


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0612.34.56.78", "+33612345678"),
        ("+33 7 81 00 00 01", "+33781000001"),
        ("0033612345678", "+33612345678"),
    ],
)
def test_phone_numbers(raw, expected):
    assert sms.normalize_phone(raw) == expected


def test_bad_phone_number_is_a_final_failure(world, committed):
    world.guardian.phone = "pas de numéro"
    world.guardian.save()
    with committed():
        notify([world.guardian], "absence.unexplained")
    delivery = Delivery.objects.get(channel="sms")
    assert delivery.status == Delivery.Status.FAILED and "phone" in delivery.error
    # The error is kept with the delivery: it does not repeat the number.
    assert "numéro" not in delivery.error
