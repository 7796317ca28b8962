"""notify(): what it records, for whom, and what it schedules."""

import datetime

import pytest
import time_machine
from django.db import transaction
from django.template.loader import render_to_string

from ent.notify import rendering
from ent.notify.api import notify
from ent.notify.kinds import KINDS, Frequency
from ent.notify.models import ChildMute, Delivery, Notification, Preference

pytestmark = pytest.mark.django_db

# A Tuesday at 10:00 in Paris: outside every quiet window.
DAYTIME = datetime.datetime(2026, 10, 6, 10, 0, tzinfo=datetime.UTC) - datetime.timedelta(hours=2)


@pytest.fixture(autouse=True)
def daytime():
    with time_machine.travel(DAYTIME, tick=False):
        yield


def test_records_one_notification_per_recipient_and_sends_email(world, mailoutbox, committed):
    with transaction.atomic():
        with committed():
            notify(
                [world.guardian, world.guardian2.id, world.guardian],
                "absence.notice_treated",
                child=world.pupil,
                obj=world.klass,
                context={"status": "justifiée", "start": datetime.date(2026, 10, 5), "url": "/absences/12/"},
            )
    rows = Notification.objects.order_by("recipient_id")
    assert [n.recipient_id for n in rows] == sorted([world.guardian.id, world.guardian2.id])
    n = rows[0]
    assert (n.kind, n.child_id, n.url, n.object_id) == (
        "absence.notice_treated",
        world.pupil.id,
        "/absences/12/",
        world.klass.id,
    )
    assert n.content_type.model == "schoolclass"
    assert n.context["start"] == {"$date": "2026-10-05"}
    assert sorted(m.to[0] for m in mailoutbox) == ["marc@example.org", "sophie@example.org"]
    subject = mailoutbox[0].subject
    assert "Léa" in subject and "justifiée" in subject
    assert "http://" in mailoutbox[0].body and "/absences/12/" in mailoutbox[0].body
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_rollback_leaves_nothing(world, mailoutbox, sms_outbox, django_capture_on_commit_callbacks):
    world.guardian.phone = "06 12 34 56 78"
    world.guardian.save()

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with transaction.atomic():
            notify([world.guardian], "absence.unexplained", child=world.pupil, context={"period": "matin"})
            raise Boom
    assert Notification.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert mailoutbox == [] and sms_outbox == []


def test_nothing_leaves_before_commit(world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            notify([world.guardian], "message.new", context={"sender_name": "Anne Leroy"})
    assert Notification.objects.count() == 1
    assert mailoutbox == []
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1


def test_unknown_kind_and_bad_context_are_caller_bugs(world):
    with pytest.raises(ValueError, match="unknown notification kind"):
        notify([world.guardian], "homework.unknown")
    with pytest.raises(TypeError, match="plain data"):
        notify([world.guardian], "message.new", context={"sender": world.teacher})
    for bad in ("javascript:alert(1)", "//evil.example/x", "x" * 600):
        with pytest.raises(ValueError, match="url"):
            notify([world.guardian], "message.new", context={"url": bad})
    assert Notification.objects.count() == 0


def test_no_recipients_is_fine(world, committed):
    with committed():
        notify([], "message.new")
    assert Notification.objects.count() == 0


def test_routing_by_preference(world, mailoutbox, sms_outbox, committed):
    world.guardian.phone = "0612345678"
    world.guardian.save()
    Preference.objects.create(user=world.guardian, kind="message.new", frequency=Frequency.IMMEDIATELY, sms=True)
    Preference.objects.create(user=world.guardian2, kind="message.new", frequency=Frequency.DAILY)
    Preference.objects.create(user=world.teacher, kind="message.new", frequency=Frequency.OFF)
    with committed():
        notify([world.guardian, world.guardian2, world.teacher], "message.new", context={"sender_name": "Yves Roux"})

    # Off: no notification at all. Daily: in the feed now, by email at digest time.
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {world.guardian.id, world.guardian2.id}
    assert [m.to for m in mailoutbox] == [["sophie@example.org"]]
    assert [s["to"] for s in sms_outbox] == ["+33612345678"]
    assert "Yves Roux" in sms_outbox[0]["message"]
    daily = Delivery.objects.get(notification__recipient=world.guardian2)
    assert (daily.channel, daily.mode, daily.status) == ("email", "daily", "pending")
    assert daily.due_at.astimezone(datetime.UTC) == datetime.datetime(2026, 10, 6, 16, 0, tzinfo=datetime.UTC)


def test_no_address_no_delivery(world, mailoutbox, committed):
    # The pupil has no email and no phone: the feed only.
    with committed():
        notify([world.pupil], "homework.due_tomorrow", context={"count": 2})
    assert Notification.objects.filter(recipient=world.pupil).count() == 1
    assert Delivery.objects.count() == 0


def test_per_child_muting(world, mailoutbox, committed):
    ChildMute.objects.create(user=world.guardian, child=world.pupil, kind="homework.published")
    Preference.objects.create(user=world.guardian, kind="homework.published", frequency=Frequency.IMMEDIATELY)
    with committed():
        notify(
            [world.guardian, world.guardian2], "homework.published", child=world.pupil, context={"title": "Rédaction"}
        )
    with committed():
        notify([world.guardian], "homework.published", child=world.sibling, context={"title": "Poésie"})

    mine = Notification.objects.filter(recipient=world.guardian)
    assert [n.child_id for n in mine] == [world.sibling.id]
    # The other parent did not mute anything.
    assert Notification.objects.filter(recipient=world.guardian2, child=world.pupil).count() == 1
    assert [m.subject for m in mailoutbox] == ["Nouveau devoir : Poésie — Hugo"]


def test_urgent_kinds_ignore_off_digests_and_mutes(world, mailoutbox, sms_outbox, committed):
    world.guardian.phone = "+33 6 11 22 33 44"
    world.guardian.save()
    # Rows a form would refuse, written directly: the rules still win.
    Preference.objects.create(user=world.guardian, kind="absence.unexplained", frequency=Frequency.OFF, sms=True)
    Preference.objects.create(user=world.guardian2, kind="absence.unexplained", frequency=Frequency.WEEKLY)
    ChildMute.objects.create(user=world.guardian2, child=world.pupil, kind="absence.unexplained")
    with committed():
        notify([world.guardian, world.guardian2], "absence.unexplained", child=world.pupil, context={"period": "matin"})

    assert Notification.objects.count() == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["marc@example.org", "sophie@example.org"]
    assert [s["to"] for s in sms_outbox] == ["+33611223344"]
    assert not Delivery.objects.exclude(mode=Delivery.Mode.IMMEDIATE).exists()


def test_inactive_people_get_nothing(world, committed):
    world.guardian.is_active = False
    world.guardian.save()
    with committed():
        notify([world.guardian], "message.new")
    assert Notification.objects.count() == 0


@pytest.mark.parametrize("code", sorted(KINDS))
def test_every_kind_renders_with_no_context_and_with_full_context(world, code, committed):
    full = {
        "title": "Exposé",
        "subject": "Histoire",
        "due_date": datetime.date(2026, 10, 8),
        "class_name": "6e A",
        "teacher_name": "Anne Leroy",
        "count": 2,
        "titles": ["Exposé", "Lecture"],
        "date": datetime.date(2026, 10, 6),
        "period": "matin",
        "school_name": "Collège Test",
        "start": datetime.date(2026, 10, 1),
        "end": "3 octobre",
        "status": "acceptée",
        "comment": "Merci",
        "half_days": 4,
        "since": datetime.date(2026, 9, 1),
        "sender_name": "Anne Leroy",
        "conversation_title": "Sortie",
        "excerpt": "<b>Bonjour</b>",
        "author_name": "La direction",
        "approved_by": "M. Référent",
        "reason": "Droits d'auteur",
        "rejected_by": "M. Référent",
        "filename": "cours.pdf",
        "signature": "Eicar-Test",
        "username": "sophie.martin",
        "code": "ABCD-EF23",
        "expires_on": datetime.date(2026, 12, 31),
        "name": "Absences.csv",
        "expires_at": datetime.datetime(2026, 10, 7, 10, 0, tzinfo=datetime.UTC),
        "url": "/x/",
    }
    for context in ({}, full):
        Notification.objects.all().delete()
        with committed():
            notify([world.guardian], code, child=world.pupil, context=context)
        n = Notification.objects.get()
        for language in ("fr", "en"):
            rendered = rendering.render(n, language=language)
            assert rendered.subject, (code, language, context)
            assert "{" not in rendered.subject and "None" not in rendered.text
            assert "<b>" not in rendered.html  # caller text is escaped in HTML
        assert rendering.sms_text(n).startswith("ENT : ")
    # The French catalogue is there for every kind.
    assert rendering.render(n, language="fr").subject != rendering.render(n, language="en").subject


def test_email_templates_render_for_digest():
    html = render_to_string("notify/email/digest.html", {"items": [], "site_url": "http://x"})
    assert "<ul>" in html
