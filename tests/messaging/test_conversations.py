"""Conversation pages over plain HTTP: list, search, archive, read, reply, edit,
delete, and their wrong users, methods and inputs."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from messaging import actions
from messaging.models import Conversation, Message, Participant


@pytest.fixture
def conv(world, start, fresh):
    return start(fresh(world.guardian), world.teacher, subject="Sortie au musée", body="Bonjour, une question.")


def test_recipient_sees_unread_then_reads(world, conv, client, login_as):
    login_as(world.teacher)
    r = client.get(reverse("messaging:inbox"))
    assert r.status_code == 200
    page = r.content.decode()
    assert "Sortie au musée" in page and "1 non lu" in page
    r = client.get(reverse("messaging:conversation", args=[conv.pk]))
    assert r.status_code == 200 and "Bonjour, une question." in r.content.decode()
    link = Participant.objects.get(conversation=conv, user=world.teacher)
    assert link.last_read_id == conv.last_message_id
    assert "non lu" not in client.get(reverse("messaging:inbox")).content.decode()


def test_sender_sees_read_receipts(world, conv, client, login_as):
    login_as(world.guardian)
    assert "Pas encore lu" in client.get(reverse("messaging:conversation", args=[conv.pk])).content.decode()
    actions.do_mark_read(world.teacher, conv)
    page = client.get(reverse("messaging:conversation", args=[conv.pk])).content.decode()
    assert "Lu par" in page and "Anne Leroy" in page


def test_reply_with_link_is_linkified_and_escaped(world, conv, client, login_as):
    login_as(world.teacher)
    r = client.post(
        reverse("messaging:post", args=[conv.pk]), {"body": "Voir https://example.org <script>alert(1)</script>"}
    )
    assert r.status_code == 302
    message = conv.messages.last()
    assert '<a href="https://example.org"' in message.html
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    page = client.get(r.url).content.decode()
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize("body", ["", "   ", "x" * 10_001])
def test_empty_or_oversize_message_is_refused(world, conv, client, login_as, body):
    login_as(world.teacher)
    r = client.post(reverse("messaging:post", args=[conv.pk]), {"body": body})
    assert r.status_code == 400
    assert conv.messages.count() == 1
    assert 'class="errorlist' in r.content.decode() or 'class="msg error"' in r.content.decode()


def test_outsiders_get_404_for_everything(world, conv, client, login_as):
    message = conv.messages.first()
    for person in [world.outsider_parent, world.guardian2, world.staff_b, world.direction, world.admin]:
        login_as(person)
        assert client.get(reverse("messaging:conversation", args=[conv.pk])).status_code == 404
        assert client.post(reverse("messaging:post", args=[conv.pk]), {"body": "x"}).status_code == 404
        assert client.post(reverse("messaging:archive", args=[conv.pk])).status_code == 404
        assert client.get(reverse("messaging:edit", args=[message.pk])).status_code == 404
        assert client.post(reverse("messaging:delete", args=[message.pk])).status_code == 404
        assert client.get(reverse("messaging:report", args=[message.pk])).status_code == 404
    assert client.get(reverse("messaging:conversation", args=[999999])).status_code == 404
    assert conv.messages.count() == 1


def test_wrong_methods(world, conv, client, login_as):
    login_as(world.teacher)
    message = conv.messages.first()
    assert client.post(reverse("messaging:inbox")).status_code == 405
    assert client.post(reverse("messaging:conversation", args=[conv.pk])).status_code == 405
    assert client.get(reverse("messaging:post", args=[conv.pk])).status_code == 405
    assert client.get(reverse("messaging:archive", args=[conv.pk])).status_code == 405
    assert client.get(reverse("messaging:delete", args=[message.pk])).status_code == 405


def test_archive_and_unarchive_on_new_message(world, conv, client, login_as, fresh):
    login_as(world.teacher)
    r = client.post(reverse("messaging:archive", args=[conv.pk]), {"archived": "on"})
    assert r.status_code == 302
    assert "Sortie au musée" not in client.get(reverse("messaging:inbox")).content.decode()
    assert "Sortie au musée" in client.get(reverse("messaging:inbox") + "?archived=on").content.decode()
    # Only for the teacher: the parent still has it in the inbox.
    assert not Participant.objects.get(conversation=conv, user=world.guardian).archived
    actions.do_send_message(fresh(world.guardian), conv, "Relance")
    assert "Sortie au musée" in client.get(reverse("messaging:inbox")).content.decode()


def test_a_new_message_moves_only_the_senders_read_mark_and_unarchives_everyone(world, conv, fresh):
    Participant.objects.filter(conversation=conv).update(archived=True)
    teacher_mark = Participant.objects.get(conversation=conv, user=world.teacher)
    message = actions.do_send_message(fresh(world.guardian), conv, "Relance")
    mine = Participant.objects.get(conversation=conv, user=world.guardian)
    theirs = Participant.objects.get(conversation=conv, user=world.teacher)
    assert mine.last_read_id == message.id and mine.last_read_at == message.created_at
    assert (theirs.last_read_id, theirs.last_read_at) == (teacher_mark.last_read_id, teacher_mark.last_read_at)
    assert not mine.archived and not theirs.archived


def test_search_in_own_conversations_only(world, conv, start, fresh, client, login_as):
    start(fresh(world.outsider_parent), world.teacher, subject="Cantine", body="Menu du lundi")
    login_as(world.guardian)
    page = client.get(reverse("messaging:inbox"), {"q": "question"}).content.decode()
    assert "Sortie au musée" in page
    page = client.get(reverse("messaging:inbox"), {"q": "Menu"}).content.decode()
    assert "Cantine" not in page and "Aucune conversation ne correspond" in page
    login_as(world.teacher)
    assert "Cantine" in client.get(reverse("messaging:inbox"), {"q": "lundi"}).content.decode()


def test_inbox_list_fragment_for_live_refresh(world, conv, start, fresh, client, login_as):
    """live.js fetches ?fragment=list when a conversation it does not show gets a message."""
    inbox = reverse("messaging:inbox")
    login_as(world.teacher)
    page = client.get(inbox).content.decode()
    assert 'id="inbox-list"' in page and 'data-refresh="/messages/?fragment=list"' in page
    start(fresh(world.guardian), world.teacher, subject="<b>Cantine</b>", body="Menu du lundi")
    r = client.get(inbox, {"fragment": "list"})
    assert r.status_code == 200
    fragment = r.content.decode()
    assert fragment.lstrip().startswith('<div id="inbox-list"') and "<html" not in fragment
    assert "&lt;b&gt;Cantine&lt;/b&gt;" in fragment and "<b>Cantine" not in fragment
    assert "Sortie au musée" in fragment and "csrfmiddlewaretoken" in fragment
    # The search is kept; other pages and the archive are not refreshed live.
    assert 'data-refresh="/messages/?fragment=list&amp;q=lundi"' in client.get(inbox, {"q": "lundi"}).content.decode()
    assert "data-refresh" not in client.get(inbox, {"archived": "on"}).content.decode()
    _many_conversations(world, start, fresh, 20)
    assert "data-refresh" not in client.get(inbox, {"page": 2}).content.decode()
    # Only one's own conversations, and only once logged in.
    login_as(world.outsider_parent)
    assert "Sortie au musée" not in client.get(inbox, {"fragment": "list"}).content.decode()
    client.logout()
    assert client.get(inbox, {"fragment": "list"}).status_code == 302
    assert client.post(inbox, {"fragment": "list"}).status_code == 302


def test_author_edits_within_ten_minutes_only(world, conv, client, login_as):
    message = conv.messages.first()
    login_as(world.guardian)
    url = reverse("messaging:edit", args=[message.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"body": "Bonjour, deux questions."}).status_code == 302
    message.refresh_from_db()
    assert message.body == "Bonjour, deux questions." and message.edited_at
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        r = client.post(url, {"body": "Trop tard"})
    assert r.status_code == 403
    assert "10 minutes" in r.content.decode()
    message.refresh_from_db()
    assert message.body == "Bonjour, deux questions."
    # Not the author: read-only.
    login_as(world.teacher)
    assert client.post(url, {"body": "Pas moi"}).status_code == 403


def test_author_deletion_only_hides(world, conv, client, login_as):
    message = conv.messages.first()
    login_as(world.teacher)
    assert client.post(reverse("messaging:delete", args=[message.pk])).status_code == 403
    login_as(world.guardian)
    assert client.post(reverse("messaging:delete", args=[message.pk])).status_code == 302
    message.refresh_from_db()
    assert message.hidden == Message.Hidden.AUTHOR and message.body == "Bonjour, une question."
    login_as(world.teacher)
    page = client.get(reverse("messaging:conversation", args=[conv.pk])).content.decode()
    assert "Bonjour, une question." not in page and "Message supprimé par son auteur" in page


def test_new_conversation_page_and_bad_input(world, client, login_as):
    login_as(world.guardian)
    url = reverse("messaging:new")
    r = client.get(url, {"to": world.teacher.pk})
    assert r.status_code == 200 and "Anne Leroy" in r.content.decode()
    r = client.post(url, {"recipients": [world.teacher.pk], "subject": "", "body": "Bonjour"})
    assert r.status_code == 400 and Conversation.objects.count() == 0
    r = client.post(url, {"recipients": ["abc"], "subject": "Sujet", "body": "Bonjour"})
    assert r.status_code == 400 and Conversation.objects.count() == 0
    r = client.post(url, {"subject": "Sujet", "body": "Bonjour"})
    assert r.status_code == 400 and "au moins une personne" in r.content.decode()


def test_new_message_notifies_once_until_read(world, conv, fresh):
    from ent.notify.models import Notification

    assert Notification.objects.filter(recipient=world.teacher, kind="message.new").count() == 1
    for i in range(3):
        actions.do_send_message(fresh(world.guardian), conv, f"Relance {i}")
    assert Notification.objects.filter(recipient=world.teacher, kind="message.new").count() == 1
    actions.do_mark_read(world.teacher, conv)
    actions.do_send_message(fresh(world.guardian), conv, "Encore")
    assert Notification.objects.filter(recipient=world.teacher, kind="message.new").count() == 2
    assert not Notification.objects.filter(recipient=world.guardian).exists()


def _many_conversations(world, start, fresh, n):
    guardian = fresh(world.guardian)
    for i in range(n):
        conv = start(guardian, world.teacher, subject=f"Sujet {i}", body=f"Message {i}")
        actions.do_send_message(fresh(world.teacher), conv, "Réponse")


def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The first visit marks messages read; count a steady visit.
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.usefixtures("no_page_cache")
def test_conversation_list_query_count_is_pinned(world, start, fresh, client, login_as, django_assert_max_num_queries):
    login_as(world.guardian)
    url = reverse("messaging:inbox")
    fragment = f"{url}?fragment=list"  # what live.js fetches
    _many_conversations(world, start, fresh, 1)
    small = _count_queries(client, url), _count_queries(client, fragment)
    _many_conversations(world, start, fresh, 25)
    large = _count_queries(client, url), _count_queries(client, fragment)
    assert small == large
    with django_assert_max_num_queries(14):
        client.get(url)


def test_conversation_page_query_count_is_pinned(world, conv, fresh, client, login_as, django_assert_max_num_queries):
    login_as(world.guardian)
    url = reverse("messaging:conversation", args=[conv.pk])
    small = _count_queries(client, url)
    for i in range(40):
        actions.do_send_message(fresh(world.teacher if i % 2 else world.guardian), conv, f"Message {i}")
    large = _count_queries(client, url)
    assert small == large
    with django_assert_max_num_queries(16):
        client.get(url)
    page = client.get(url).content.decode()
    assert "Messages plus anciens" in page
