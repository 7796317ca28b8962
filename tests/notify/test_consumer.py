"""The WebSocket, driven through the real ent.asgi.application."""

from importlib import import_module

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import transaction

from ent.asgi import application
from ent.directory.auth_backends import DEFAULT_BACKEND
from ent.notify.api import notify
from ent.notify.consumers import register_action, unregister_action
from ent.notify.models import Notification
from tests.factories import make_user

ORIGIN = [(b"origin", b"http://localhost")]
pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def session_cookie_for(user):
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = DEFAULT_BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}".encode()


async def connect_as(user=None):
    headers = list(ORIGIN)
    if user is not None:
        headers.append((b"cookie", await session_cookie_for(user)))
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


@database_sync_to_async
def a_user(username, **extra):
    return make_user(username, **extra)


async def test_anonymous_is_closed_with_4401():
    communicator, connected = await connect_as(None)
    try:
        assert connected
        assert await communicator.receive_output(timeout=2) == {"type": "websocket.close", "code": 4401}
    finally:
        await communicator.disconnect()


async def test_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(application, "/ws/", headers=[(b"origin", b"http://evil.example")])
    try:
        connected, _ = await communicator.connect()
        assert not connected
    finally:
        await communicator.disconnect()


async def test_malformed_frames_get_an_error_and_the_socket_stays_usable():
    user = await a_user("sock_user")
    communicator, connected = await connect_as(user)
    try:
        assert connected
        assert await communicator.receive_json_from() == {"type": "unread", "count": 0}
        for frame, expected in [
            ("{not json", "frame is not valid JSON"),
            ("[1, 2]", 'frame must be an object with an "action"'),
            ('{"action": "nope"}', "unknown action: nope"),
        ]:
            await communicator.send_to(text_data=frame)
            assert await communicator.receive_json_from() == {"type": "error", "error": expected}
        await communicator.send_json_to({"action": "nope", "ref": "r7"})
        assert await communicator.receive_json_from() == {"type": "error", "error": "unknown action: nope", "ref": "r7"}
        await communicator.send_to(bytes_data=b"\x00\x01")
        assert (await communicator.receive_json_from())["type"] == "error"
        await communicator.send_json_to({"action": "ping"})
        assert await communicator.receive_json_from() == {"type": "pong"}
    finally:
        await communicator.disconnect()


async def test_registered_actions_are_dispatched_and_their_failures_contained():
    async def echo(consumer, content):
        await consumer.send_json({"type": "echo", "user": consumer.scope["user"].username, "n": content.get("n")})

    async def broken(consumer, content):
        raise RuntimeError("bug")

    register_action("test.echo", echo)
    register_action("test.broken", broken)
    user = await a_user("sock_echo")
    communicator, _ = await connect_as(user)
    try:
        await communicator.receive_json_from()
        await communicator.send_json_to({"action": "test.echo", "n": 3})
        assert await communicator.receive_json_from() == {"type": "echo", "user": "sock_echo", "n": 3}
        await communicator.send_json_to({"action": "test.broken"})
        assert await communicator.receive_json_from() == {"type": "error", "error": "internal error"}
        await communicator.send_json_to({"action": "ping"})
        assert await communicator.receive_json_from() == {"type": "pong"}
    finally:
        unregister_action("test.echo")
        unregister_action("test.broken")
        await communicator.disconnect()


@database_sync_to_async
def notify_in_transaction(users, rollback=False):
    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            notify(users, "message.new", context={"sender_name": "Anne"})
            if rollback:
                raise Rollback
    except Rollback:
        pass


async def test_unread_count_is_pushed_after_commit_and_only_to_the_recipient():
    reader = await a_user("sock_reader")
    other = await a_user("sock_other")
    mine, _ = await connect_as(reader)
    theirs, _ = await connect_as(other)
    try:
        assert await mine.receive_json_from() == {"type": "unread", "count": 0}
        assert await theirs.receive_json_from() == {"type": "unread", "count": 0}

        await notify_in_transaction([reader], rollback=True)
        assert await mine.receive_nothing(timeout=0.3)

        await notify_in_transaction([reader])
        assert await mine.receive_json_from(timeout=3) == {"type": "unread", "count": 1}
        await notify_in_transaction([reader])
        assert await mine.receive_json_from(timeout=3) == {"type": "unread", "count": 2}
        assert await theirs.receive_nothing(timeout=0.3)
        assert await database_sync_to_async(Notification.objects.count)() == 2
    finally:
        await mine.disconnect()
        await theirs.disconnect()
