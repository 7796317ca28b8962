import asyncio
from importlib import import_module

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

from ent.asgi import application
from ent.directory.auth_backends import DEFAULT_BACKEND

ORIGIN = [(b"origin", b"http://localhost")]


@database_sync_to_async
def session_cookie_for(user):
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = DEFAULT_BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}".encode()


class Socket:
    """A signed-in page's socket, with helpers that skip frames a test does not wait for."""

    def __init__(self, communicator):
        self.c = communicator
        self.seen = []

    @classmethod
    async def open(cls, user, origin=ORIGIN):
        headers = list(origin) + [(b"cookie", await session_cookie_for(user))]
        communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        return cls(communicator)

    async def send(self, frame):
        await self.c.send_json_to(frame)

    async def wait_for(self, predicate, timeout=30):
        """The first frame matching predicate; the others are kept in self.seen."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            # Poll with receive_nothing: a timed-out receive would cancel the application.
            while await self.c.receive_nothing(timeout=0.05):
                if loop.time() > deadline:
                    raise AssertionError(f"no matching frame within {timeout}s; seen {self.seen[-5:]}")
            frame = await self.c.receive_json_from()
            if predicate(frame):
                return frame
            self.seen.append(frame)

    async def ask(self, frame, timeout=30):
        """Send an action with a ref and return its answer."""
        self.refs = getattr(self, "refs", 0) + 1
        ref = frame.setdefault("ref", f"r{self.refs}")
        await self.send(frame)
        return await self.wait_for(lambda f: f.get("ref") == ref, timeout)

    async def drain(self, timeout=0.3):
        """Every frame until the socket stays quiet for `timeout` seconds. (A timed-out
        receive would cancel the application; receive_nothing does not.)"""
        frames = []
        while not await self.c.receive_nothing(timeout=timeout):
            frames.append(await self.c.receive_json_from())
        return frames

    async def close(self):
        await self.c.disconnect()
