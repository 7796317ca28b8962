"""The WebSocket side of the access matrix: for every persona, a conversation
between `guardian` and `teacher` can be neither read, written, marked read nor
listened to unless one is in it; anonymous sockets are closed."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from ent.asgi import application
from ent.directory.models import User
from messaging import actions
from messaging.models import Conversation
from tests.factories import build_world
from tests.messaging.socket_helpers import ORIGIN, Socket
from tests.security.matrix import PERSONAS

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

MEMBERS = {"guardian", "teacher"}


@database_sync_to_async
def _setup():
    world = build_world()
    conversation = actions.do_start_conversation(world.guardian, [world.teacher.pk], "Sortie", "Bonjour")
    return world, conversation


@database_sync_to_async
def _send(user, conversation_id, body):
    actions.do_send_message(User.objects.get(pk=user.pk), Conversation.objects.get(pk=conversation_id), body)


async def test_anonymous_socket_is_closed():
    communicator = WebsocketCommunicator(application, "/ws/", headers=ORIGIN)
    await communicator.connect()
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.close" and output.get("code") == 4401
    await communicator.disconnect()


async def test_no_persona_outside_a_conversation_reads_writes_or_hears_it():
    world, conversation = await _setup()
    people = world.personas()
    checked = 0
    for persona in PERSONAS:
        if persona == "anonymous":
            continue
        user = people[persona]
        sock = await Socket.open(user)
        try:
            answers = [
                await sock.ask({"action": "messaging.history", "conversation": conversation.pk}),
                await sock.ask({"action": "messaging.read", "conversation": conversation.pk}),
            ]
            if persona in MEMBERS:
                assert all(a["type"] != "error" for a in answers), (persona, answers)
                continue
            assert all(a["type"] == "error" for a in answers), (persona, answers)
            answer = await sock.ask({"action": "messaging.send", "conversation": conversation.pk, "body": "intrus"})
            assert answer["type"] == "error", (persona, answer)
            await sock.drain()
            # A message in the conversation now: nothing reaches this socket.
            await _send(world.guardian, conversation.pk, f"pour les membres seulement {persona}")
            heard = [f for f in await sock.drain(timeout=0.5) if str(f.get("type", "")).startswith("messaging.")]
            assert not heard, (persona, heard)
            checked += 1
        finally:
            await sock.close()
    assert checked == len(PERSONAS) - 1 - len(MEMBERS)
