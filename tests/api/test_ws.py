"""The project socket (ws/) for apps, with a bearer token or a one-use ticket,
through the real ent.asgi.application (and the Redis channel layer when
REDIS_URL is set): the events reach the token's owner and nobody else, a bad
credential is closed with 4401 before any data, a revoked one at its next frame
(at once for a personal token revoked by its owner), and the pages' session
path is unchanged."""

import datetime
import json
import secrets

import pytest
from allauth.idp.oidc.models import Client, Token
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client as DjangoClient
from django.utils import timezone

from ent.api.actions import do_create_token, do_revoke_token
from ent.api.models import PersonalToken
from ent.asgi import application
from ent.directory.lifecycle import do_set_accounts_active
from ent.directory.models import User
from ent.directory.sessions import end_sessions
from messaging import actions
from messaging.models import Conversation, Message
from tests.factories import build_world
from tests.messaging.socket_helpers import Socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

CLOSED = 4401


@database_sync_to_async
def make_world():
    world = build_world()
    conversation = actions.do_start_conversation(world.guardian, [world.teacher.pk], "Sortie", "Bonjour")
    return world, conversation


@database_sync_to_async
def personal_token(user):
    return do_create_token(user, "phone app")


@database_sync_to_async
def openid_token(user, scopes, *, expires_in=3600):
    app = Client.objects.create(name="App", type=Client.Type.CONFIDENTIAL)
    secret = secrets.token_urlsafe(32)
    token = Token(type=Token.Type.ACCESS_TOKEN, client=app, user=user)
    token.set_value(secret)
    token.set_scopes(scopes)
    token.expires_at = timezone.now() + datetime.timedelta(seconds=expires_in)
    token.save()
    return token, secret


@database_sync_to_async
def send(user, conversation_id, body):
    actions.do_send_message(User.objects.get(pk=user.pk), Conversation.objects.get(pk=conversation_id), body)


@database_sync_to_async
def ticket_for(secret):
    response = DjangoClient().post("/api/v1/ws-ticket", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 201, response.content
    return response.json()


async def open_with(subprotocols, path="/ws/", headers=None):
    """A socket offering these subprotocols, without an Origin header (a native app sends none)."""
    communicator = WebsocketCommunicator(application, path, headers=headers or [], subprotocols=subprotocols)
    connected, chosen = await communicator.connect(timeout=10)
    return communicator, connected, chosen


async def open_app(secret):
    communicator, connected, chosen = await open_with(["ent.v1", f"bearer.{secret}"])
    assert connected and chosen == "ent.v1"
    return Socket(communicator)


async def assert_closed_without_data(communicator):
    """The next output is the 4401 close: no frame of data came before it."""
    output = await communicator.receive_output(timeout=10)
    assert output["type"] == "websocket.close", output
    assert output.get("code") == CLOSED
    await communicator.disconnect()


def is_type(kind):
    return lambda f: f.get("type") == kind


async def test_a_personal_token_opens_the_socket_and_its_owner_hears_the_events():
    world, conversation = await make_world()
    _token, secret = await personal_token(world.guardian)
    sock = await open_app(secret)
    try:
        assert (await sock.wait_for(is_type("unread")))["count"] >= 0
        await send(world.teacher, conversation.pk, "Rendez-vous jeudi")
        pushed = await sock.wait_for(is_type("messaging.message"))
        assert pushed["message"]["conversation"] == conversation.pk
        assert "Rendez-vous jeudi" in pushed["message"]["html"]
        history = await sock.ask({"action": "messaging.history", "conversation": conversation.pk})
        assert history["type"] == "messaging.history" and len(history["messages"]) == 2
        sent = await sock.ask({"action": "messaging.send", "conversation": conversation.pk, "body": "Merci"})
        assert sent["type"] == "messaging.sent"
    finally:
        await sock.close()
    assert await database_sync_to_async(Message.objects.filter(body__contains="Merci").count)() == 1


async def test_another_persons_conversation_gives_no_event_and_no_answer():
    world, conversation = await make_world()
    _token, secret = await personal_token(world.outsider_parent)
    sock = await open_app(secret)
    try:
        await sock.drain()
        await send(world.teacher, conversation.pk, "Pour la famille Martin seulement")
        frames = await sock.drain(timeout=1)
        assert not [f for f in frames if f.get("type", "").startswith("messaging.")], frames
        for action in ("messaging.history", "messaging.read", "messaging.send"):
            answer = await sock.ask({"action": action, "conversation": conversation.pk, "body": "intrus"})
            assert answer["type"] == "error" and "Martin" not in json.dumps(answer), answer
    finally:
        await sock.close()
    assert await database_sync_to_async(Message.objects.filter(body="intrus").count)() == 0


@pytest.mark.parametrize(
    "subprotocols",
    [
        ["ent.v1", "bearer.entpat_not-a-real-token"],
        ["ent.v1", "bearer.some-random-openid-looking-value"],
        ["ent.v1", "bearer."],
        ["ent.v1", "ticket.entws_made-up"],
    ],
)
async def test_a_wrong_credential_is_closed_with_4401_and_no_data(subprotocols):
    await make_world()
    communicator, connected, chosen = await open_with(subprotocols)
    assert connected and chosen == "ent.v1"
    await assert_closed_without_data(communicator)


async def test_a_wrong_token_is_closed_even_with_a_valid_session_cookie():
    world, _conversation = await make_world()
    from tests.messaging.socket_helpers import session_cookie_for

    cookie = await session_cookie_for(world.guardian)
    communicator, connected, _chosen = await open_with(
        ["ent.v1", "bearer.entpat_wrong"], headers=[(b"origin", b"http://localhost"), (b"cookie", cookie)]
    )
    assert connected
    await assert_closed_without_data(communicator)


async def test_a_token_in_the_query_string_opens_nothing():
    world, _conversation = await make_world()
    _token, secret = await personal_token(world.guardian)
    communicator = WebsocketCommunicator(
        application, f"/ws/?token={secret}", headers=[(b"origin", b"http://localhost")]
    )
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    await assert_closed_without_data(communicator)


async def test_a_token_revoked_behind_the_sockets_back_closes_it_at_its_next_frame():
    world, conversation = await make_world()
    token, secret = await personal_token(world.guardian)
    sock = await open_app(secret)
    await sock.drain()
    # Not through do_revoke_token, which also tells the socket: the frame check alone.
    await database_sync_to_async(PersonalToken.objects.filter(pk=token.pk).update)(revoked_at=timezone.now())
    await sock.send({"action": "messaging.history", "conversation": conversation.pk, "ref": "x"})
    ended = await sock.c.receive_json_from(timeout=10)
    assert ended == {"type": "session.ended", "reason": "ended"}
    await assert_closed_without_data(sock.c)


async def test_revoking_a_personal_token_closes_its_socket_at_once():
    world, _conversation = await make_world()
    token, secret = await personal_token(world.guardian)
    sock = await open_app(secret)
    await sock.drain()
    await database_sync_to_async(do_revoke_token)(world.guardian, token)
    ended = await sock.wait_for(is_type("session.ended"), timeout=10)
    assert ended["reason"] == "signed_out"
    await assert_closed_without_data(sock.c)


async def test_a_blocked_account_closes_its_app_sockets_at_once():
    world, _conversation = await make_world()
    _token, secret = await personal_token(world.guardian)
    sock = await open_app(secret)
    await sock.drain()
    await database_sync_to_async(do_set_accounts_active)(
        [world.guardian], active=False, by=world.direction, school=world.school
    )
    ended = await sock.wait_for(is_type("session.ended"), timeout=10)
    assert ended["reason"] == "blocked"
    await assert_closed_without_data(sock.c)


async def test_signing_out_everywhere_ends_sessions_not_the_tokens_socket():
    world, _conversation = await make_world()
    _token, secret = await personal_token(world.guardian)
    sock = await open_app(secret)
    try:
        await sock.drain()
        await database_sync_to_async(end_sessions)(world.guardian)
        await sock.drain(timeout=1)
        # Still open and still the person's: the token works in the HTTP API too.
        await sock.send({"action": "ping"})
        assert (await sock.wait_for(is_type("pong")))["type"] == "pong"
    finally:
        await sock.close()


async def test_a_ticket_opens_one_socket_once_as_its_token():
    world, conversation = await make_world()
    _token, secret = await personal_token(world.guardian)
    ticket = await ticket_for(secret)
    assert ticket["expires_in"] == 30 and ticket["path"] == "/ws/"
    assert secret not in json.dumps(ticket)
    communicator, connected, chosen = await open_with(ticket["subprotocols"])
    assert connected and chosen == "ent.v1"
    sock = Socket(communicator)
    try:
        await send(world.teacher, conversation.pk, "Par ticket")
        assert (await sock.wait_for(is_type("messaging.message")))["message"]["conversation"] == conversation.pk
    finally:
        await sock.close()
    again, connected, _ = await open_with(ticket["subprotocols"])
    assert connected
    await assert_closed_without_data(again)


async def test_a_ticket_of_a_token_revoked_since_opens_nothing():
    world, _conversation = await make_world()
    token, secret = await personal_token(world.guardian)
    ticket = await ticket_for(secret)
    await database_sync_to_async(do_revoke_token)(world.guardian, token)
    communicator, connected, _ = await open_with(ticket["subprotocols"])
    assert connected
    await assert_closed_without_data(communicator)


async def test_an_openid_token_with_api_reads_but_may_not_write_without_api_write():
    world, conversation = await make_world()
    _token, secret = await openid_token(world.guardian, ["openid", "api"])
    sock = await open_app(secret)
    try:
        await sock.send({"action": "ping"})
        assert (await sock.wait_for(is_type("pong")))["type"] == "pong"
        history = await sock.ask({"action": "messaging.history", "conversation": conversation.pk})
        assert history["type"] == "messaging.history"
        refused = await sock.ask({"action": "messaging.send", "conversation": conversation.pk, "body": "Non"})
        assert refused["type"] == "error" and "api.write" in refused["error"]
    finally:
        await sock.close()
    assert await database_sync_to_async(Message.objects.filter(body="Non").count)() == 0

    _token, writer = await openid_token(world.guardian, ["openid", "api", "api.write"])
    sock = await open_app(writer)
    try:
        sent = await sock.ask({"action": "messaging.send", "conversation": conversation.pk, "body": "Oui"})
        assert sent["type"] == "messaging.sent"
    finally:
        await sock.close()


@pytest.mark.parametrize("scopes, expires_in", [(["openid", "profile"], 3600), (["openid", "api"], -10)])
async def test_an_openid_token_without_api_or_expired_is_closed(scopes, expires_in):
    world, _conversation = await make_world()
    _token, secret = await openid_token(world.guardian, scopes, expires_in=expires_in)
    communicator, connected, _ = await open_with(["ent.v1", f"bearer.{secret}"])
    assert connected
    await assert_closed_without_data(communicator)


async def test_an_openid_tokens_socket_closes_when_the_token_expires():
    world, _conversation = await make_world()
    _token, secret = await openid_token(world.guardian, ["openid", "api"], expires_in=2)
    sock = await open_app(secret)
    ended = await sock.wait_for(is_type("session.ended"), timeout=15)
    assert ended["reason"] == "expired"
    await assert_closed_without_data(sock.c)


async def test_the_session_path_is_unchanged():
    world, conversation = await make_world()
    sock = await Socket.open(world.guardian)
    try:
        assert (await sock.wait_for(is_type("unread")))["type"] == "unread"
        await send(world.teacher, conversation.pk, "Par la page")
        assert (await sock.wait_for(is_type("messaging.message")))["message"]["conversation"] == conversation.pk
    finally:
        await sock.close()
    # Without a cookie and without a credential: closed, as before.
    communicator = WebsocketCommunicator(application, "/ws/", headers=[(b"origin", b"http://localhost")])
    connected, chosen = await communicator.connect(timeout=10)
    assert connected and chosen is None
    await assert_closed_without_data(communicator)
    # A page's socket from another site is refused before anything (the Origin check stays).
    from tests.messaging.socket_helpers import session_cookie_for

    cookie = await session_cookie_for(world.guardian)
    communicator = WebsocketCommunicator(
        application, "/ws/", headers=[(b"origin", b"https://evil.example"), (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect(timeout=10)
    assert not connected
