"""NUL and control characters (issue 24, item 5): the socket's messaging.send and
messaging.start validate with the very forms of the HTTP pages, and answer an
error frame; nothing is stored either way. On PostgreSQL (CI), which refuses NUL
in text: before, the socket's NUL reached the database and failed there."""

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from ent.directory.models import User
from messaging import actions
from messaging.models import Conversation, Message
from tests.factories import build_world

from .socket_helpers import Socket

BAD = ["Bonjour\x00", "Bonjour\x07", "\x1b[31mrouge", "a\x7fb", "x\x0bz"]


@pytest.mark.django_db
@pytest.mark.parametrize("body", BAD)
def test_http_reply_refuses_them(body, world, client, login_as):
    conv = actions.do_start_conversation(world.guardian, [world.teacher.pk], "Sujet", "Bonjour")
    login_as(world.guardian)
    response = client.post(reverse("messaging:post", args=[conv.pk]), {"body": body}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert Message.objects.filter(conversation=conv).count() == 1


@pytest.mark.django_db
def test_http_new_conversation_refuses_them_in_the_subject(world, client, login_as):
    login_as(world.guardian)
    response = client.post(
        reverse("messaging:new"),
        {"recipients": [world.teacher.pk], "subject": "Sortie\x00", "body": "Bonjour"},
    )
    assert response.status_code == 400
    assert not Conversation.objects.exists()


@pytest.mark.django_db
def test_tab_and_line_breaks_are_fine(world, client, login_as):
    conv = actions.do_start_conversation(world.guardian, [world.teacher.pk], "Sujet", "Bonjour")
    login_as(world.guardian)
    response = client.post(reverse("messaging:post", args=[conv.pk]), {"body": "Ligne 1\r\n\tLigne 2"})
    assert response.status_code == 302


@database_sync_to_async
def make_world():
    return build_world()


@database_sync_to_async
def start(sender, recipient):
    return actions.do_start_conversation(User.objects.get(pk=sender.pk), [recipient.pk], "Sujet", "Bonjour")


@database_sync_to_async
def count(model, **filters):
    return model.objects.filter(**filters).count()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_socket_refuses_them_with_the_forms_message():
    world = await make_world()
    conv = await start(world.guardian, world.teacher)
    sock = await Socket.open(world.guardian)
    try:
        for body in BAD:
            answer = await sock.ask({"action": "messaging.send", "conversation": conv.pk, "body": body})
            assert answer["type"] == "error" and answer["action"] == "messaging.send", answer
            assert "body" in answer["fields"]
        answer = await sock.ask(
            {"action": "messaging.start", "recipients": [world.teacher.pk], "subject": "Sortie\x00", "body": "Bonjour"}
        )
        assert answer["type"] == "error" and "subject" in answer["fields"], answer
        answer = await sock.ask(
            {"action": "messaging.start", "recipients": [world.teacher.pk], "subject": "Sortie", "body": "\x01"}
        )
        assert answer["type"] == "error" and "body" in answer["fields"], answer
        assert await count(Message, conversation=conv) == 1
        assert await count(Conversation) == 1
        # The same rules as the page, for the good cases too.
        answer = await sock.ask({"action": "messaging.send", "conversation": conv.pk, "body": "Ligne 1\n\tLigne 2"})
        assert answer["type"] == "messaging.sent"
    finally:
        await sock.close()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_socket_error_is_the_forms_own_words():
    from messaging.forms import MessageForm

    world = await make_world()
    conv = await start(world.guardian, world.teacher)
    sock = await Socket.open(world.guardian)
    try:
        form = MessageForm({"body": "\x07"})
        form.is_valid()
        answer = await sock.ask({"action": "messaging.send", "conversation": conv.pk, "body": "\x07"})
        assert answer["fields"] == {"body": [str(e) for e in form.errors["body"]]}
    finally:
        await sock.close()
