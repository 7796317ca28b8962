"""The one WebSocket of a signed-in page (ws/): live unread count, and a small
action registry other apps plug into.

Server → client frames: {"type": "unread", "count": n}, {"type": "error", "error": "..."},
and whatever an app pushes with a "socket.send" event.
A socket lives no longer than its session: when the session ends (logout,
password change, blocked account, office reset, expiry, sign-out from another
device) it sends {"type": "session.ended", "reason": "..."} and closes with
CLOSE_UNAUTHENTICATED; a frame whose session is no longer current is not
processed (ent/directory/sessions.py).
Client → server frames: {"action": "<name>", "ref": optional, ...}; errors echo
the "ref". Each action is a coroutine
registered with register_action(name, coroutine), called as
``await coroutine(consumer, content)``. Rules stay in the apps' access/actions
modules: a handler checks access (through database_sync_to_async) before it
joins a group with ``consumer.join_group(name)``.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone
from redis.exceptions import RedisError

from ent.directory import sessions
from ent.errors import EntError
from ent.notify.push import unread_count, user_group

logger = logging.getLogger(__name__)

# Close code for "not signed in": the page stops reconnecting (4000–4999 are ours).
CLOSE_UNAUTHENTICATED = 4401

Handler = Callable[["UserSocketConsumer", dict], Awaitable[None]]
_actions: dict[str, Handler] = {}


def register_action(name: str, coroutine: Handler) -> None:
    if name in _actions and _actions[name] is not coroutine:
        raise ValueError(f"socket action {name!r} is already registered")
    _actions[name] = coroutine


def unregister_action(name: str) -> None:
    _actions.pop(name, None)


async def _ping(consumer, content):
    await consumer.send_json({"type": "pong"})


register_action("ping", _ping)


class BadFrame(Exception):
    pass


# A session's expiry is read again when its timer fires (use may have pushed it
# later), and at least this often.
EXPIRY_RECHECK_SECONDS = 3600


class UserSocketConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        self.groups_joined = set()
        if user is None or not user.is_authenticated:
            # Accept then close, so the browser sees the code and does not retry
            # (a refused handshake only shows up as 1006, like a network error).
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.ended = False
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        self.session_group = sessions.session_group(self.session_key) if self.session_key else ""
        # Groups first, then the handshake: a page that is connected hears every
        # push sent after (the other way round, a push in between was lost).
        await self.join_group(user_group(user.id))
        if self.session_group:
            await self.join_group(self.session_group)
        await self.accept()
        self.expiry_watch = asyncio.get_running_loop().create_task(self.watch_expiry())
        # A page that missed pushes while disconnected catches up here.
        await self.send_json({"type": "unread", "count": await database_sync_to_async(unread_count)(user)})

    async def disconnect(self, code):
        watch = getattr(self, "expiry_watch", None)
        if watch is not None:
            watch.cancel()
        for group in list(getattr(self, "groups_joined", ())):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = set()

    # The session's end

    async def session_is_current(self) -> bool:
        user_id = await database_sync_to_async(sessions.session_user_id)(self.session_key)
        return user_id is not None and user_id == self.user.pk

    async def end_session(self, reason: str) -> None:
        """Say why, stop hearing pushes, close (the page does not reconnect)."""
        if self.ended:
            return
        self.ended = True
        await self.send_json({"type": sessions.SESSION_ENDED, "reason": reason})
        for group in list(self.groups_joined):
            await self.leave_group(group)
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def watch_expiry(self) -> None:
        try:
            while not self.ended:
                expiry = await database_sync_to_async(sessions.session_expiry)(self.session_key)
                now = timezone.now()
                if expiry is None:
                    # Gone, or a session backend without a stored expiry date.
                    if not await self.session_is_current():
                        await self.end_session(sessions.Reason.ENDED)
                    return
                if expiry <= now:
                    await self.end_session(sessions.Reason.EXPIRED)
                    return
                wait = min((expiry - now).total_seconds(), EXPIRY_RECHECK_SECONDS)
                await asyncio.sleep(wait + 0.01)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A database hiccup must not kill the socket: each frame still checks.
            logger.exception("session expiry watch failed")

    async def join_group(self, group: str) -> None:
        # After a Redis restart the layer's pool may hand out a dead connection
        # once: retry once with a fresh one instead of failing the socket.
        for attempt in (1, 2):
            try:
                await asyncio.wait_for(self.channel_layer.group_add(group, self.channel_name), timeout=5)
                break
            except (TimeoutError, OSError, RedisError) as exc:
                if attempt == 2:
                    raise
                logger.warning("group_add(%s) failed, retrying once: %s", group, exc)
        self.groups_joined.add(group)

    async def leave_group(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.discard(group)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if getattr(self, "user", None) is None or self.ended:
            return
        # Cheap (the session and the person come from the cache) and needed: a
        # frame may arrive before the news of the session's end does.
        if not await self.session_is_current():
            await self.end_session(sessions.Reason.EXPIRED if await self._expired() else sessions.Reason.ENDED)
            return
        content = None
        try:
            if text_data is None:
                raise BadFrame("frames must be JSON text")
            try:
                content = json.loads(text_data)
            except ValueError:
                raise BadFrame("frame is not valid JSON") from None
            if not isinstance(content, dict) or not isinstance(content.get("action"), str):
                raise BadFrame('frame must be an object with an "action"')
            handler = _actions.get(content["action"])
            if handler is None:
                raise BadFrame(f"unknown action: {content['action'][:64]}")
        except BadFrame as exc:
            await self.send_error(str(exc), content)
            return
        try:
            await handler(self, content)
        except EntError as exc:
            await self.send_error(str(exc.message), content)
        except Exception:
            logger.exception("socket action %s failed", content["action"])
            await self.send_error("internal error", content)

    async def send_error(self, message: str, frame=None) -> None:
        error = {"type": "error", "error": message}
        # A client that tagged its frame with a "ref" gets it back, to match the answer.
        ref = frame.get("ref") if isinstance(frame, dict) else None
        if isinstance(ref, str | int) and not isinstance(ref, bool):
            error["ref"] = ref
        await self.send_json(error)

    async def _expired(self) -> bool:
        expiry = await database_sync_to_async(sessions.session_expiry)(self.session_key)
        return expiry is not None and expiry <= timezone.now()

    # Channel layer events

    async def session_ended(self, event):
        """ent/directory/sessions.py: this socket's session, or its person's
        sessions but one ("keep"), ended."""
        if event.get("keep") and event["keep"] == self.session_group:
            return
        await self.end_session(str(event.get("reason") or sessions.Reason.ENDED))

    async def notify_unread(self, event):
        await self.send_json({"type": "unread", "count": int(event["count"])})

    async def socket_send(self, event):
        """Forward an app's payload as is: {"type": "socket.send", "payload": {...}}."""
        await self.send_json(event["payload"])
