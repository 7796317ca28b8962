"""The project socket (ws/, ent/notify/consumers.py) for apps: opened with a
bearer token instead of the session cookie.

The client offers subprotocols: ``["ent.v1", "bearer.<token>"]`` (a personal
token ``entpat_…`` or an access token of the ENT's OpenID provider with the
``api`` scope), or ``["ent.v1", "ticket.<ticket>"]`` with a one-use ticket from
``POST /api/v1/ws-ticket``. The server answers ``ent.v1`` (never the one that
holds the secret). A token never goes in the URL: URLs end up in logs.

A socket that offers a credential is an app's: it is not matched with the
session cookie and not held to the Origin check. The Origin check guards the
cookie, which a browser attaches on its own to a socket any site opens; a token
is sent only by a client that holds it, and native apps send no Origin at all.
A socket that offers none goes through the pages' stack unchanged.

The same events and actions as the pages' socket, under the same end rules: the
credential is checked again on every frame (a revoked or expired token closes
the socket with 4401 at its next frame), the revocation of a personal token
closes its sockets at once, an OpenID token's socket closes when the token
expires, and a blocked account closes them at once. The end of the person's
sessions (password changed, "sign out everywhere") ends no token, in the HTTP
API as here. A token without ``api.write`` may only read: ping,
messaging.history, messaging.catch_up.
"""

import asyncio
import json
import logging

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _

from ent.api import access, actions
from ent.directory import sessions
from ent.notify.consumers import EXPIRY_RECHECK_SECONDS, UserSocketConsumer

logger = logging.getLogger(__name__)

SUBPROTOCOL = "ent.v1"
BEARER = "bearer."
TICKET = "ticket."
# The scope key the middleware fills: an access.Credential, or None for a bad one.
CREDENTIAL = "ent_api_credential"
# What a read-only token may do on the socket.
READ_ACTIONS = frozenset({"ping", "messaging.history", "messaging.catch_up"})


def offered_secret(scope) -> tuple[str, str] | None:
    """("bearer" | "ticket", secret) from the offered subprotocols, else None."""
    for protocol in scope.get("subprotocols") or ():
        if protocol.startswith(BEARER):
            return "bearer", protocol[len(BEARER) :]
        if protocol.startswith(TICKET):
            return "ticket", protocol[len(TICKET) :]
    return None


def credential_of(kind: str, secret: str) -> access.Credential | None:
    if kind == "bearer":
        personal = access.token_for_secret(secret)
        if personal is None:
            return access.openid_credential_for_secret(secret)
        actions.do_note_token_use(personal)
        return access.personal_credential(personal)
    ticket = actions.do_redeem_socket_ticket(secret)
    if ticket is None:
        return None
    # The ticket is only as good as the token it was made with, now.
    credential = access.live_credential(ticket["credential"])
    if credential is None or credential.user.pk != ticket["user"]:
        return None
    return credential


class TokenAuthMiddleware(BaseMiddleware):
    """Sets scope["user"] from the offered bearer token or ticket (AnonymousUser
    when it opens nothing: the consumer then closes with 4401, sending no data)."""

    async def __call__(self, scope, receive, send):
        offered = offered_secret(scope)
        credential = await database_sync_to_async(credential_of)(*offered) if offered else None
        scope = dict(scope, user=credential.user if credential else AnonymousUser(), session=None)
        scope[CREDENTIAL] = credential
        return await super().__call__(scope, receive, send)


def by_credential(*, session_app, token_app):
    """The websocket application: a socket that offers a credential goes to
    token_app, any other to session_app (the pages' stack, unchanged)."""

    async def application(scope, receive, send):
        if scope["type"] == "websocket" and offered_secret(scope) is not None:
            return await token_app(scope, receive, send)
        return await session_app(scope, receive, send)

    return application


def _frame_of(text_data) -> dict:
    try:
        frame = json.loads(text_data)
    except (TypeError, ValueError):
        return {}
    return frame if isinstance(frame, dict) else {}


class AppSocketConsumer(UserSocketConsumer):
    """The pages' consumer, with the credential in place of the session."""

    async def connect(self):
        self.credential = self.scope.get(CREDENTIAL)
        await super().connect()
        if self.credential is not None and getattr(self, "user", None) is not None:
            await self.join_group(actions.credential_group(self.credential.name))

    async def accept(self, subprotocol=None, headers=None):
        # A browser drops a socket whose server picks none of the offered subprotocols.
        if subprotocol is None and SUBPROTOCOL in (self.scope.get("subprotocols") or ()):
            subprotocol = SUBPROTOCOL
        await super().accept(subprotocol, headers)

    async def session_is_current(self) -> bool:
        credential = await database_sync_to_async(access.live_credential)(self.credential.name)
        return credential is not None and credential.user.pk == self.user.pk

    async def watch_expiry(self) -> None:
        try:
            while not self.ended:
                expiry = await database_sync_to_async(access.credential_expiry)(self.credential.name)
                if expiry is None:
                    # A personal token lives until revoked: its revocation closes the socket.
                    return
                now = timezone.now()
                if expiry <= now:
                    await self.end_session(sessions.Reason.EXPIRED)
                    return
                await asyncio.sleep(min((expiry - now).total_seconds(), EXPIRY_RECHECK_SECONDS) + 0.01)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A database hiccup must not kill the socket: each frame still checks.
            logger.exception("token expiry watch failed")

    async def session_ended(self, event):
        """The person's sessions ended (ent/directory/sessions.py). The token
        follows its own life, as in the HTTP API: a blocked account or a revoked
        token closes the socket now; a password change or "sign out everywhere"
        ends sessions, not tokens (they are revoked in "Mes appareils")."""
        if not await self.session_is_current():
            await self.end_session(str(event.get("reason") or sessions.Reason.ENDED))

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        credential = getattr(self, "credential", None)
        if credential is not None and not credential.can_write and not self.ended and text_data is not None:
            frame = _frame_of(text_data)
            action = frame.get("action")
            if isinstance(action, str) and action not in READ_ACTIONS:
                # A revoked token still closes the socket first (the parent's check).
                if await self.session_is_current():
                    await self.send_error(_("This token may only read: it lacks the “api.write” scope."), frame)
                    return
        await super().receive(text_data, bytes_data, **kwargs)
