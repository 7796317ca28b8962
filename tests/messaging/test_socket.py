"""Messaging over the project socket (ws/), through the real ent.asgi.application
(and the Redis channel layer when REDIS_URL is set)."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from ent.asgi import application
from ent.directory.models import User
from messaging import actions
from messaging.models import Conversation, Message, Participant
from tests.factories import build_world

from .policy_table import PERSONAS, allowed
from .socket_helpers import Socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def make_world():
    return build_world()


@database_sync_to_async
def start(sender, *recipients, body="Bonjour"):
    sender = User.objects.get(pk=sender.pk)
    return actions.do_start_conversation(sender, [r.pk for r in recipients], "Sujet", body)


@database_sync_to_async
def send(sender, conversation, body):
    sender = User.objects.get(pk=sender.pk)
    conversation = Conversation.objects.get(pk=conversation.pk)
    return actions.do_send_message(sender, conversation, body)


@database_sync_to_async
def count(model, **filters):
    return model.objects.filter(**filters).count()


def is_type(kind):
    return lambda f: f.get("type") == kind


async def test_policy_table_over_the_socket_for_every_pair():
    world = await make_world()
    people = {**world.personas(), "outsider_pupil": world.outsider_pupil}
    wrong = []
    for a in PERSONAS:
        sock = await Socket.open(people[a])
        try:
            for b in PERSONAS:
                if a == b:
                    continue
                answer = await sock.ask(
                    {"action": "messaging.start", "recipients": [people[b].pk], "subject": "Hi", "body": "Bonjour"}
                )
                got = answer["type"] == "messaging.started"
                if got != allowed(a, b):
                    wrong.append((a, b, answer))
                if not got and "error" not in answer:
                    wrong.append((a, b, answer))
        finally:
            await sock.close()
    assert wrong == []
    assert await count(Conversation) == sum(allowed(a, b) for a in PERSONAS for b in PERSONAS if a != b)


async def test_live_delivery_read_receipt_and_unread_count():
    world = await make_world()
    conv = await start(world.guardian, world.teacher)
    parent = await Socket.open(world.guardian)
    prof = await Socket.open(world.teacher)
    try:
        answer = await parent.ask({"action": "messaging.send", "conversation": conv.pk, "body": "Voir https://ent.fr"})
        assert answer["type"] == "messaging.sent"
        message_id = answer["message"]["id"]
        push = await prof.wait_for(is_type("messaging.message"))
        assert push["message"]["id"] == message_id
        assert push["message"]["author"]["name"] == "Sophie Martin"
        assert '<a href="https://ent.fr"' in push["message"]["html"]
        assert push["unread"] == 2
        # The sender's other tabs get it too.
        assert (await parent.wait_for(is_type("messaging.message")))["message"]["id"] == message_id

        read = await prof.ask({"action": "messaging.read", "conversation": conv.pk, "up_to": message_id})
        assert read == {
            "type": "messaging.read",
            "conversation": conv.pk,
            "up_to": message_id,
            "action": "messaging.read",
            "ref": read["ref"],
        }
        receipt = await parent.wait_for(is_type("messaging.receipt"))
        assert receipt["reader"]["name"] == "Anne Leroy" and receipt["up_to"] == message_id
        unread = await prof.wait_for(is_type("messaging.unread"))
        assert unread["unread"] == 0
    finally:
        await parent.close()
        await prof.close()


async def test_reconnect_and_catch_up_from_the_last_id_seen():
    world = await make_world()
    conv = await start(world.guardian, world.teacher)
    prof = await Socket.open(world.teacher)
    first = await send(world.guardian, conv, "Premier")
    last_seen = (await prof.wait_for(is_type("messaging.message")))["message"]["id"]
    assert last_seen == first.id
    await prof.close()

    missed = [(await send(world.guardian, conv, f"Pendant la coupure {i}")).id for i in range(3)]
    other = await start(world.vie_scolaire, world.teacher, body="Autre conversation")

    prof = await Socket.open(world.teacher)
    try:
        answer = await prof.ask({"action": "messaging.catch_up", "after": last_seen})
        assert answer["type"] == "messaging.missed"
        assert [m["id"] for m in answer["messages"]] == [*missed, other.last_message_id]
        assert answer["last_id"] == other.last_message_id and answer["more"] is False
        assert answer["unread"] == 6  # the opening message, "Premier", 3 missed, the other conversation
    finally:
        await prof.close()


async def test_a_burst_of_1000_messages_loses_none():
    world = await make_world()
    conv = await start(world.guardian, world.teacher)
    prof = await Socket.open(world.teacher)
    parent = await Socket.open(world.guardian)
    n = 1000
    try:
        for i in range(n):
            await parent.send({"action": "messaging.send", "conversation": conv.pk, "body": f"Message {i}"})
        sent = []
        while len(sent) < n:
            frame = await parent.wait_for(lambda f: f.get("type") in ("messaging.sent", "error"), timeout=120)
            assert frame["type"] == "messaging.sent", frame
            sent.append(frame["message"]["id"])
        # What came live; a full channel may drop pushes, never messages...
        received = {f["message"]["id"] for f in await prof.drain(timeout=1) if f.get("type") == "messaging.message"}
        # ... and the client gets the rest from the database.
        after = conv.last_message_id
        while True:
            answer = await prof.ask({"action": "messaging.catch_up", "after": after})
            received |= {m["id"] for m in answer["messages"]}
            if not answer["more"]:
                break
            after = answer["last_id"]
        assert set(sent) <= received
        assert len(set(sent)) == n
        assert await count(Message, conversation=conv) == n + 1
    finally:
        await prof.close()
        await parent.close()


async def test_malformed_frames_and_foreign_conversations_get_an_error_and_the_socket_stays_usable():
    world = await make_world()
    theirs = await start(world.outsider_parent, world.teacher)
    mine = await start(world.guardian, world.teacher)
    sock = await Socket.open(world.guardian)
    try:
        not_found = await sock.ask({"action": "messaging.history", "conversation": theirs.pk})
        missing = await sock.ask({"action": "messaging.history", "conversation": 999999})
        # The same answer for "not yours" and "does not exist": nothing disclosed.
        assert not_found["type"] == missing["type"] == "error"
        assert not_found["error"] == missing["error"] == "Introuvable."
        send_foreign = await sock.ask({"action": "messaging.send", "conversation": theirs.pk, "body": "Coucou"})
        assert send_foreign["error"] == "Introuvable."
        for frame in [
            {"action": "messaging.send", "conversation": "abc", "body": "x"},
            {"action": "messaging.send", "conversation": [1], "body": "x"},
            {"action": "messaging.send", "conversation": mine.pk, "body": ""},
            {"action": "messaging.send", "conversation": mine.pk, "body": "x" * 10_001},
            {"action": "messaging.send", "conversation": mine.pk, "body": {"html": "<b>"}},
            {"action": "messaging.start", "recipients": "everyone", "subject": "x", "body": "x"},
            {"action": "messaging.start", "recipients": [world.outsider_parent.pk], "subject": "x", "body": "x"},
            {"action": "messaging.read", "conversation": None},
        ]:
            answer = await sock.ask(frame)
            assert answer["type"] == "error" and answer["error"], (frame, answer)
        await sock.send({"action": "messaging.nope"})
        assert (await sock.wait_for(is_type("error")))["error"].startswith("unknown action")
        await sock.c.send_to(text_data="{broken")
        assert (await sock.wait_for(is_type("error")))["error"] == "frame is not valid JSON"
        # Still usable.
        ok = await sock.ask({"action": "messaging.send", "conversation": mine.pk, "body": "Toujours là"})
        assert ok["type"] == "messaging.sent"
        history = await sock.ask({"action": "messaging.history", "conversation": mine.pk})
        assert [m["html"] for m in history["messages"]] == ["Bonjour", "Toujours là"]
        assert await count(Message, conversation=theirs) == 1
        assert await count(Message, conversation=mine) == 2
    finally:
        await sock.close()


async def test_policy_is_rechecked_for_each_socket_message():
    world = await make_world()
    conv = await start(world.guardian, world.teacher)
    sock = await Socket.open(world.guardian)
    try:
        await database_sync_to_async(lambda: world.teacher.teaching_assignments.all().delete())()
        answer = await sock.ask({"action": "messaging.send", "conversation": conv.pk, "body": "Encore moi"})
        assert answer["type"] == "error" and answer["error"] == "Vous ne pouvez plus écrire dans cette conversation."
        assert await count(Message, conversation=conv) == 1
    finally:
        await sock.close()


async def test_rich_text_goes_through_the_sanitizer():
    world = await make_world()
    conv = await start(world.guardian, world.teacher)
    sock = await Socket.open(world.guardian)
    try:
        answer = await sock.ask(
            {
                "action": "messaging.send",
                "conversation": conv.pk,
                "format": "html",
                "body": '<p onclick="x()">Bonjour <strong>madame</strong><script>alert(1)</script></p>',
            }
        )
        assert answer["message"]["html"] == "<p>Bonjour <strong>madame</strong>alert(1)</p>"
    finally:
        await sock.close()


async def test_cross_site_handshake_is_refused():
    world = await make_world()
    from .socket_helpers import session_cookie_for

    cookie = await session_cookie_for(world.guardian)
    communicator = WebsocketCommunicator(
        application, "/ws/", headers=[(b"origin", b"http://evil.example"), (b"cookie", cookie)]
    )
    try:
        connected, _ = await communicator.connect()
        assert not connected
    finally:
        await communicator.disconnect()


async def test_closed_conversation_refuses_socket_messages():
    world = await make_world()
    conv = await start(world.guardian, world.teacher)
    sock = await Socket.open(world.teacher)
    try:
        await database_sync_to_async(
            lambda: actions.do_close_conversation(User.objects.get(pk=world.direction.pk), conv)
        )()
        assert (await sock.wait_for(is_type("messaging.closed")))["conversation"] == conv.pk
        answer = await sock.ask({"action": "messaging.send", "conversation": conv.pk, "body": "x"})
        assert answer["type"] == "error" and "close" in answer["error"]
        assert await count(Participant, conversation=conv) == 2
    finally:
        await sock.close()
