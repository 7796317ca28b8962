"""Announcements to a class's families, read confirmations, reminders, private replies."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ent.notify import rendering
from ent.notify.models import Notification
from messaging import actions
from messaging.models import Announcement, AnnouncementRecipient, Conversation, Participant


def _send(world, fresh):
    return actions.do_send_announcement(
        fresh(world.direction),
        title="Sortie au musée",
        body="Merci de confirmer la lecture.",
        audience=Announcement.Audience.CLASS,
        target=world.klass,
        requires_confirmation=True,
    )


@pytest.fixture
def announcement(world, fresh, django_capture_on_commit_callbacks):
    # The notifications are written by a task queued on commit (eager in tests).
    with django_capture_on_commit_callbacks(execute=True):
        return _send(world, fresh)


def test_notifications_are_written_after_the_commit_and_once(world, fresh, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sent = _send(world, fresh)
    # Until the transaction commits, nothing: the push goes first, then the task.
    assert not Notification.objects.filter(kind="announcement.new").exists()
    for callback in callbacks:
        callback()
    sent.refresh_from_db()
    assert sent.notified_at is not None
    assert Notification.objects.filter(kind="announcement.new").count() == 4
    assert actions.do_notify_announcement(sent.id) is False  # a second run writes nothing
    assert Notification.objects.filter(kind="announcement.new").count() == 4


def test_the_sweep_notifies_announcements_whose_task_was_lost(world, fresh):
    from messaging import tasks

    lost = _send(world, fresh)  # its on-commit task never runs here
    assert tasks.notify_pending_announcements() == 0  # too recent: its own task may still come
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert tasks.notify_pending_announcements() == 1
        assert tasks.notify_pending_announcements() == 0
    lost.refresh_from_db()
    assert lost.notified_at is not None
    assert Notification.objects.filter(kind="announcement.new").count() == 4


def test_class_families_receive_it(world, announcement):
    recipients = set(AnnouncementRecipient.objects.filter(announcement=announcement).values_list("user_id", flat=True))
    assert recipients == {world.guardian.pk, world.guardian2.pk, world.guardian_nojustify.pk, world.outsider_parent.pk}
    notified = set(Notification.objects.filter(kind="announcement.new").values_list("recipient_id", flat=True))
    assert notified == recipients


def test_teacher_sends_to_a_taught_class_only(world, client, login_as):
    login_as(world.teacher)
    url = reverse("messaging:new_announcement")
    page = client.get(url).content.decode()
    assert "6e A" in page and "Latin" in page and "6e B" not in page
    r = client.post(url, {"target": f"class-{world.other_class.pk}", "title": "x", "body": "y"})
    assert r.status_code == 400 and Announcement.objects.count() == 0
    r = client.post(url, {"target": f"group-{world.group.pk}", "title": "Latin", "body": "Dictionnaire"})
    assert r.status_code == 302
    assert set(AnnouncementRecipient.objects.values_list("user_id", flat=True)) == {
        world.guardian.pk,
        world.guardian2.pk,
        world.guardian_nojustify.pk,
    }
    # Families may not announce.
    login_as(world.guardian)
    assert client.get(url).status_code == 404


def test_read_confirm_and_sender_sees_who(world, announcement, client, login_as):
    url = reverse("messaging:announcement", args=[announcement.pk])
    login_as(world.guardian)
    page = client.get(url).content.decode()
    assert "Merci de confirmer" in page and "Je confirme avoir lu" in page
    link = AnnouncementRecipient.objects.get(announcement=announcement, user=world.guardian)
    assert link.read_at and not link.confirmed_at
    assert client.get(reverse("messaging:confirm", args=[announcement.pk])).status_code == 405
    assert client.post(reverse("messaging:confirm", args=[announcement.pk])).status_code == 302
    link.refresh_from_db()
    assert link.confirmed_at
    login_as(world.direction)
    page = client.get(url).content.decode()
    assert "Confirmée par 1 sur 4" in page and "Lue par 1 famille sur 4" in page


def test_reminder_goes_to_those_who_did_not_confirm(world, announcement, fresh, client, login_as):
    actions.do_confirm_announcement(fresh(world.guardian), announcement)
    before = Notification.objects.filter(kind="announcement.new").count()
    login_as(world.teacher)  # not the author: read-only
    assert client.post(reverse("messaging:remind", args=[announcement.pk])).status_code == 404
    login_as(world.direction)
    r = client.post(reverse("messaging:remind", args=[announcement.pk]), follow=True)
    assert "Une relance a été envoyée à 3 familles" in r.content.decode()
    reminded = Notification.objects.filter(kind="announcement.new")[:100]
    assert Notification.objects.filter(kind="announcement.new").count() == before + 3
    assert world.guardian.pk not in {n.recipient_id for n in reminded if n.context.get("reminder")}
    # Not twice within an hour...
    r = client.post(reverse("messaging:remind", args=[announcement.pk]), follow=True)
    assert "moins d&#x27;une heure" in r.content.decode()
    assert Notification.objects.filter(kind="announcement.new").count() == before + 3
    # ... but later, yes.
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert actions.do_remind_announcement(fresh(world.direction), Announcement.objects.get()) == 3


def _rendered(user, language):
    """The announcement notifications of `user`, oldest first, as they read them."""
    notifications = Notification.objects.filter(kind="announcement.new", recipient=user).order_by("id")
    return [rendering.render(n, language=language) for n in notifications]


def test_reminder_notification_says_it_is_a_reminder(world, announcement, fresh):
    actions.do_remind_announcement(fresh(world.direction), announcement)
    first, reminder = _rendered(world.guardian, "fr")
    assert first.subject == "Nouvelle annonce : Sortie au musée"
    assert "Rappel" not in first.text + first.html and "Merci de confirmer votre lecture" not in first.text
    assert reminder.subject == "Rappel : Sortie au musée"
    assert "Merci de confirmer votre lecture." in reminder.text
    assert "Rappel" in reminder.html and "Merci de confirmer votre lecture." in reminder.html
    first, reminder = _rendered(world.guardian, "en")
    assert first.subject == "New announcement: Sortie au musée"
    assert reminder.subject == "Reminder: Sortie au musée"
    assert "Please confirm that you have read it." in reminder.text
    assert "Please confirm" not in first.text


def test_reminder_without_confirmation_does_not_ask_for_one(world, fresh, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        announcement = actions.do_send_announcement(
            fresh(world.direction),
            title="Photo de classe",
            body="Mardi matin.",
            audience=Announcement.Audience.CLASS,
            target=world.klass,
        )
    actions.do_remind_announcement(fresh(world.direction), announcement)
    _first, reminder = _rendered(world.guardian, "fr")
    assert reminder.subject == "Rappel : Photo de classe"
    assert "confirmer" not in reminder.text + reminder.html


def test_recipient_cannot_remind_and_author_cannot_confirm(world, announcement, client, login_as):
    login_as(world.guardian)
    assert client.post(reverse("messaging:remind", args=[announcement.pk])).status_code == 403
    login_as(world.direction)
    assert client.post(reverse("messaging:confirm", args=[announcement.pk])).status_code == 403


def test_outsiders_see_nothing(world, announcement, client, login_as):
    for person in [world.parent_b, world.staff_b, world.pupil, world.other_teacher]:
        login_as(person)
        assert client.get(reverse("messaging:announcement", args=[announcement.pk])).status_code == 404
        assert client.post(reverse("messaging:confirm", args=[announcement.pk])).status_code == 404


def test_replies_go_privately_to_the_sender(world, announcement, client, login_as):
    login_as(world.guardian)
    url = reverse("messaging:reply", args=[announcement.pk])
    assert client.post(url, {"body": ""}).status_code == 400
    r = client.post(url, {"body": "Léa sera absente ce jour-là."})
    assert r.status_code == 302
    conv = Conversation.objects.get(announcement=announcement)
    assert set(Participant.objects.filter(conversation=conv).values_list("user_id", flat=True)) == {
        world.guardian.pk,
        world.direction.pk,
    }
    # A second reply goes into the same private conversation.
    client.post(url, {"body": "Et merci."})
    assert Conversation.objects.filter(announcement=announcement).count() == 1
    assert conv.messages.count() == 2
    login_as(world.outsider_parent)
    assert client.get(reverse("messaging:conversation", args=[conv.pk])).status_code == 404


def test_announcement_list_query_count(world, fresh, client, login_as, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ent.notify.push import forget_unread

    def measure(person):
        login_as(person)
        client.get(reverse("messaging:announcements"))  # warm the person's caches (row, roles)
        # As after the commit of a real send: the badge's cached count is forgotten.
        forget_unread([person.id])
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("messaging:announcements")).status_code == 200
        return len(ctx.captured_queries)

    def send(n):
        for i in range(n):
            actions.do_send_announcement(
                fresh(world.direction),
                title=f"Annonce {i}",
                body="Texte",
                audience=Announcement.Audience.SCHOOL,
                target=world.school,
            )

    send(1)
    small = measure(world.guardian), measure(world.direction)
    send(15)
    large = measure(world.guardian), measure(world.direction)
    assert small == large


def _class_of_families(world, n):
    """A class of the school with n families, each with an e-mail address and a
    device taking pushes; every other one has saved preferences and quiet hours
    of their own (rows the task must read, not defaults)."""
    import datetime

    from ent.notify.models import NotificationSettings, Preference, WebPushSubscription
    from tests.factories import link_guardian, make_class, make_pupil, make_user

    klass = make_class(world.school)
    for i in range(n):
        parent = make_user(email=f"family{klass.pk}-{i}@example.org")
        link_guardian(parent, make_pupil(klass))
        WebPushSubscription.objects.create(
            user=parent, endpoint=f"https://fcm.googleapis.com/fcm/send/{klass.pk}-{i}", p256dh="k", auth="a"
        )
        if i % 2:
            Preference.objects.create(user=parent, kind="announcement.new", frequency="immediately", sms=True)
            NotificationSettings.objects.create(
                user=parent, quiet_start=datetime.time(0, 0), quiet_end=datetime.time(0, 0)
            )
    return klass


def test_notifying_families_costs_the_same_queries_for_1_and_30(
    world, fresh, settings, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """The task's cost does not grow with the audience (issue #23: 30 families'
    pushes queued within 50 ms of the request)."""
    from django.contrib.contenttypes.models import ContentType

    from ent.notify import webpush
    from ent.notify.models import Delivery

    settings.NOTIFY_NIGHT_START_HOUR = settings.NOTIFY_NIGHT_END_HOUR = 0
    settings.WEBPUSH_VAPID_PRIVATE_KEY, settings.WEBPUSH_VAPID_PUBLIC_KEY = webpush.new_keys().values()
    author = fresh(world.direction)
    sent = {}
    for n in (1, 30):
        with django_capture_on_commit_callbacks(execute=False):  # the task is run below, counted
            sent[n] = actions.do_send_announcement(
                author,
                title="Sortie",
                body="Autorisation",
                audience=Announcement.Audience.CLASS,
                target=_class_of_families(world, n),
            )
    ContentType.objects.get_for_model(Announcement)  # cached per process: not the task's cost
    for n in (1, 30):
        # the announcement; its families with their devices, preferences and quiet
        # hours (one query); the notifications, their deliveries; marked notified.
        # And the savepoint pair of the test's own transaction.
        with django_assert_num_queries(5 + 2):
            assert actions.do_notify_announcement(sent[n].id) is True
        notifications = Notification.objects.filter(object_id=sent[n].id, kind="announcement.new")
        assert notifications.count() == n
        deliveries = Delivery.objects.filter(notification__in=notifications)
        assert deliveries.filter(channel="webpush").count() == n
        assert deliveries.filter(channel="email").count() == n
