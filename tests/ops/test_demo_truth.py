"""The demo tells the truth: every notification the seed leaves in a demo
person's feed is about a record that exists, and the link it carries opens, for
that person, a page that shows the record."""

import io
import socket

import pytest
from django.core.management import call_command

from ent import storage
from ent.notify.models import Notification

pytestmark = pytest.mark.django_db


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def seeded(settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    settings.ENT_DEMO_MODE = True
    settings.S3_ENDPOINT = f"127.0.0.1:{_closed_port()}"
    storage.reset_clients()
    # As in `make run`: what the actions schedule after commit (announcements) runs.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    yield
    storage.reset_clients()


def _what_the_page_must_show(notification):
    """The words of the record itself, read from the record (never from the
    notification's own context, which is what is under test)."""
    assert notification.content_type_id, f"{notification.kind} for {notification.recipient} is about no record"
    model = notification.content_type.model_class()
    record = model.objects.filter(pk=notification.object_id).first()
    assert record is not None, f"{notification.kind} for {notification.recipient}: its record does not exist"
    label = model._meta.label
    if label == "homework.Entry":
        return [record.title]
    if label == "absences.AbsenceEvent":
        from ent import dates

        return [dates.day(record.date)]
    if label == "messaging.Message":
        return [record.conversation.subject]
    if label == "messaging.Announcement":
        return [record.title]
    if label.startswith("media."):
        return [getattr(record, "title", None) or str(record)]
    if label == "absences.AbsenceNotice":
        from ent import dates

        return [dates.day(record.start_date)]
    if label == "timetable.Change":
        return [record.note] if record.note else [str(record.get_kind_display())]
    raise AssertionError(f"no check written for notifications about {label}")


def test_every_seeded_notification_opens_its_record_for_its_recipient(seeded, client):
    notifications = list(Notification.objects.select_related("recipient", "content_type").order_by("id"))
    assert len(notifications) >= 10
    kinds = {n.kind for n in notifications}
    assert {"homework.published", "absence.unexplained", "message.new", "announcement.new"} <= kinds
    for n in notifications:
        assert n.url, f"{n.kind} for {n.recipient} links nowhere"
        client.force_login(n.recipient)
        session = client.session
        session["ent_mfa_ok"] = True
        session.save()
        response = client.get(n.url, follow=True)
        assert response.status_code == 200, f"{n.kind} for {n.recipient}: {n.url} answers {response.status_code}"
        html = response.content.decode()
        for text in _what_the_page_must_show(n):
            from django.utils.html import escape

            assert escape(text) in html or text in html, f"{n.kind} for {n.recipient}: {text!r} not on {n.url}"


def test_parents_see_the_absences_they_are_alerted_about(seeded, client):
    from absences.models import AbsenceEvent

    alerts = Notification.objects.filter(kind="absence.unexplained", recipient__username="parent")
    assert alerts.exists(), "the demo parent should have an absence alert to explain"
    for alert in alerts:
        event = AbsenceEvent.objects.get(pk=alert.object_id)
        assert isinstance(event, AbsenceEvent)
        assert event.pupil_id == alert.child_id
        assert event.state == AbsenceEvent.State.UNEXPLAINED


def test_demo_reasons_have_an_english_label(seeded):
    from absences.models import Reason

    reasons = Reason.objects.all()
    assert reasons.exists()
    assert not reasons.filter(label_en="").exists()
