"""A WebSocket lives no longer than its session (issue 24, item 1).

Each end of a session — logout, password change, block, office reset, expiry,
signing out one device or all — closes the sockets opened with it within a
second, with a frame saying why, and a frame sent on such a socket afterwards is
not processed. Real sockets: Channels' communicator on the real
ent.asgi.application, with the Redis channel layer when REDIS_URL is set.
"""

import asyncio
import os
import subprocess
import sys
from importlib import import_module

import pytest
from allauth.usersessions.models import UserSession
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from ent.asgi import application
from ent.directory.actions import do_issue_activation_code
from ent.directory.lifecycle import do_set_accounts_active
from ent.directory.models import User
from messaging import actions
from messaging.models import Message
from tests.factories import PASSWORD, build_world
from tests.messaging.socket_helpers import session_cookie_for

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ORIGIN = [(b"origin", b"http://localhost")]
CLOSED = {"type": "websocket.close", "code": 4401}


@database_sync_to_async
def make_world():
    return build_world()


@database_sync_to_async
def sign_in(user):
    """A browser signed in through the real login form (allauth lists the device)."""
    client = Client()
    response = client.post("/accounts/login/", {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client, client.cookies[settings.SESSION_COOKIE_NAME].value


@database_sync_to_async
def http(client, method, path, data=None):
    return getattr(client, method)(path, data or {})


@database_sync_to_async
def start_conversation(sender, recipient):
    return actions.do_start_conversation(User.objects.get(pk=sender.pk), [recipient.pk], "Sujet", "Bonjour")


@database_sync_to_async
def messages_with(body):
    return Message.objects.filter(body=body).count()


@database_sync_to_async
def listed(key):
    return UserSession.objects.filter(session_key=key).exists()


async def open_socket(session_key):
    cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()
    communicator = WebsocketCommunicator(application, "/ws/", headers=[*ORIGIN, (b"cookie", cookie)])
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=10))["type"] == "unread"
    return communicator


async def assert_ended(communicator, reasons, within=1.0):
    """The socket says why and closes, within `within` seconds."""
    reasons = {reasons} if isinstance(reasons, str) else reasons
    loop = asyncio.get_running_loop()
    started = loop.time()
    frame = await communicator.receive_json_from(timeout=within)
    assert frame["type"] == "session.ended" and frame["reason"] in reasons, frame
    assert await communicator.receive_output(timeout=within) == CLOSED
    assert loop.time() - started < within


async def assert_frames_ignored(communicator, conversation_id, body="après la fin"):
    """Frames after the end: nothing answered, nothing stored."""
    await communicator.send_json_to({"action": "messaging.send", "conversation": conversation_id, "body": body})
    await communicator.send_json_to({"action": "messaging.catch_up", "after": 0})
    await communicator.send_json_to({"action": "ping"})
    assert await communicator.receive_nothing(timeout=0.5)
    assert await messages_with(body) == 0


async def assert_alive(communicator):
    await communicator.send_json_to({"action": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}


async def test_logout_closes_the_socket_and_later_frames_and_pushes_do_nothing():
    world = await make_world()
    conv = await start_conversation(world.teacher, world.guardian)
    client, key = await sign_in(world.guardian)
    sock = await open_socket(key)
    try:
        await assert_alive(sock)
        response = await http(client, "post", "/accounts/logout/")
        assert response.status_code == 302
        await assert_ended(sock, "logout")
        await assert_frames_ignored(sock, conv.pk)
        # Nor does it hear anything any more.
        await database_sync_to_async(actions.do_send_message)(
            await database_sync_to_async(User.objects.get)(pk=world.teacher.pk), conv, "Vous êtes là ?"
        )
        assert await sock.receive_nothing(timeout=0.5)
        assert not await listed(key)
    finally:
        await sock.disconnect()


async def test_password_change_signs_out_the_other_devices_and_keeps_the_changer():
    world = await make_world()
    conv = await start_conversation(world.teacher, world.guardian)
    phone, phone_key = await sign_in(world.guardian)
    laptop, laptop_key = await sign_in(world.guardian)
    phone_sock = await open_socket(phone_key)
    try:
        response = await http(
            laptop,
            "post",
            "/accounts/password/change/",
            {"oldpassword": PASSWORD, "password1": "un-nouveau-mot-2026", "password2": "un-nouveau-mot-2026"},
        )
        assert response.status_code == 302
        await assert_ended(phone_sock, "password_changed")
        await assert_frames_ignored(phone_sock, conv.pk)
        assert (await http(laptop, "get", "/")).status_code == 200  # the changer stays signed in
        assert "/accounts/login/" in (await http(phone, "get", "/")).url
        assert not await listed(phone_key)
    finally:
        await phone_sock.disconnect()


async def test_blocking_the_account_closes_every_socket_even_an_unlisted_session():
    world = await make_world()
    conv = await start_conversation(world.teacher, world.guardian)
    _, key = await sign_in(world.guardian)
    # A session made by hand (no allauth login): only the person's group reaches it.
    unlisted_key = (await session_cookie_for(world.guardian)).decode().split("=", 1)[1]
    listed_sock = await open_socket(key)
    unlisted_sock = await open_socket(unlisted_key)
    try:
        changed = await database_sync_to_async(do_set_accounts_active)(
            [world.guardian.pk], active=False, by=world.direction, school=world.school
        )
        assert changed == 1
        await assert_ended(listed_sock, "blocked")
        await assert_ended(unlisted_sock, "blocked")
        await assert_frames_ignored(listed_sock, conv.pk)
        await assert_frames_ignored(unlisted_sock, conv.pk, body="encore")
        assert not await listed(key)
    finally:
        await listed_sock.disconnect()
        await unlisted_sock.disconnect()


async def test_office_reset_of_a_pupil_closes_their_sockets():
    world = await make_world()
    conv = await start_conversation(world.teacher, world.pupil)
    _, key = await sign_in(world.pupil)
    sock = await open_socket(key)
    try:
        await database_sync_to_async(do_issue_activation_code)(world.pupil, by=world.vie_scolaire, reset_password=True)
        await assert_ended(sock, "password_reset")
        await assert_frames_ignored(sock, conv.pk)
        assert not await listed(key)
    finally:
        await sock.disconnect()


@database_sync_to_async
def set_expiry(key, seconds):
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    store.set_expiry(seconds)
    store.save()


async def test_the_socket_closes_when_its_session_expires():
    world = await make_world()
    conv = await start_conversation(world.teacher, world.guardian)
    _, key = await sign_in(world.guardian)
    await set_expiry(key, 2)
    sock = await open_socket(key)
    try:
        await assert_alive(sock)
        await assert_ended(sock, "expired", within=3.5)
        await assert_frames_ignored(sock, conv.pk)
    finally:
        await sock.disconnect()


async def test_the_expiry_timer_reads_the_date_again_when_use_extended_it():
    world = await make_world()
    _, key = await sign_in(world.guardian)
    await set_expiry(key, 2)
    sock = await open_socket(key)
    try:
        await set_expiry(key, 600)  # the session was used meanwhile
        assert await sock.receive_nothing(timeout=3)
        await assert_alive(sock)
    finally:
        await sock.disconnect()


async def test_signing_out_one_device_closes_only_its_socket():
    world = await make_world()
    conv = await start_conversation(world.teacher, world.guardian)
    _, phone_key = await sign_in(world.guardian)
    laptop, laptop_key = await sign_in(world.guardian)
    phone_sock = await open_socket(phone_key)
    laptop_sock = await open_socket(laptop_key)
    try:
        phone_row = await database_sync_to_async(UserSession.objects.get)(session_key=phone_key)
        response = await http(laptop, "post", f"/accounts/sessions/{phone_row.pk}/end/")
        assert response.status_code == 302
        await assert_ended(phone_sock, "signed_out")
        await assert_frames_ignored(phone_sock, conv.pk)
        await assert_alive(laptop_sock)
        assert not await listed(phone_key)
        assert await listed(laptop_key)
    finally:
        await phone_sock.disconnect()
        await laptop_sock.disconnect()


async def test_allauths_sign_out_the_other_devices_closes_their_sockets():
    world = await make_world()
    _, phone_key = await sign_in(world.guardian)
    laptop, laptop_key = await sign_in(world.guardian)
    phone_sock = await open_socket(phone_key)
    laptop_sock = await open_socket(laptop_key)
    try:
        response = await http(laptop, "post", "/accounts/sessions/")
        assert response.status_code == 302
        await assert_ended(phone_sock, "signed_out")
        await assert_alive(laptop_sock)
    finally:
        await phone_sock.disconnect()
        await laptop_sock.disconnect()


async def test_sign_out_everywhere_closes_every_socket_this_device_too():
    world = await make_world()
    conv = await start_conversation(world.teacher, world.guardian)
    phone, phone_key = await sign_in(world.guardian)
    laptop, laptop_key = await sign_in(world.guardian)
    phone_sock = await open_socket(phone_key)
    laptop_sock = await open_socket(laptop_key)
    try:
        response = await http(laptop, "post", "/accounts/sessions/end-all/")
        assert response.status_code == 302 and "/accounts/login/" in response.url
        await assert_ended(phone_sock, "signed_out")
        await assert_ended(laptop_sock, {"logout", "signed_out"})
        await assert_frames_ignored(laptop_sock, conv.pk)
        for client in (phone, laptop):
            assert "/accounts/login/" in (await http(client, "get", "/")).url
    finally:
        await phone_sock.disconnect()
        await laptop_sock.disconnect()


async def test_a_frame_is_not_processed_once_the_session_is_gone_even_unannounced():
    """The consumer's own check on each frame: here nobody tells the socket."""
    world = await make_world()
    conv = await start_conversation(world.teacher, world.guardian)
    _, key = await sign_in(world.guardian)
    sock = await open_socket(key)
    try:
        await database_sync_to_async(import_module(settings.SESSION_ENGINE).SessionStore(key).delete)()
        await sock.send_json_to({"action": "messaging.send", "conversation": conv.pk, "body": "fantôme"})
        await assert_ended(sock, "ended")
        assert await messages_with("fantôme") == 0
    finally:
        await sock.disconnect()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="across processes needs the Redis channel layer")
async def test_the_end_reaches_a_socket_served_by_another_process():
    world = await make_world()
    _, key = await sign_in(world.guardian)
    sock = await open_socket(key)
    try:
        code = (
            "import django; django.setup(); import sys; from ent.directory import sessions; "
            "sessions.close_session_sockets([sys.argv[1]], reason='logout')"
        )
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ent.test_settings"}
        await asyncio.to_thread(subprocess.run, [sys.executable, "-c", code, key], env=env, check=True, timeout=60)
        await assert_ended(sock, "logout", within=2)
    finally:
        await sock.disconnect()
