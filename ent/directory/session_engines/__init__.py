"""Session engines that write a new session once (issue #25: the login).

Django's database engines write a session at login three times: `cycle_key()`
calls `create()`, which SELECTs to check that a random key is free and INSERTs
the row at once, and the end of the request UPDATEs it with what the login put
in it (the person, the backend, allauth's and our own keys). Here the new key is
only drawn at `cycle_key()`; the end of the request INSERTs the row, once.

Why this is safe:
- The key is 32 characters of [a-z0-9] (Django's own draw, 36**32 ≈ 6e49
  keys): the SELECT could only ever find a collision by sheer chance, and the
  INSERT's unique key still refuses one (CreateError, another key is drawn).
- Nothing reads the new session from the store before the end of the request:
  the request holds it in memory; the browser learns the key from the cookie
  that SessionMiddleware sets after saving it. A response of 500 or more is not
  saved by Django (then nothing is stored, and no cookie is sent).
- `create()` itself is unchanged (tests, the benchmark and tools make sessions
  with it and expect them stored), and so is saving a session that is stored.

How: the documented way, a SessionStore subclass of Django's engine
("Extending database-backed session engines"). The new key is set through
`_session_key`, the attribute every Django engine's `create()` sets: a private
name, so this is the project's adapter module for Django's sessions, written for
Django 5.2 (5.2.19); `tests/directory/test_login_session_store.py` fails when the
installed Django is another feature release, to re-read `SessionBase` then.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError
from django.utils.crypto import get_random_string


def _draw_key() -> str:
    return get_random_string(32, VALID_KEY_CHARS)


class WriteOnceMixin:
    # True between cycle_key() (or a first save) and the INSERT of the new key.
    _insert_pending = False
    _deferring = False

    def cycle_key(self):
        self._deferring = True
        try:
            super().cycle_key()  # calls create(): see below
        finally:
            self._deferring = False

    def create(self):
        if not self._deferring:
            return super().create()
        self._session_key = _draw_key()
        self._insert_pending = True
        self.modified = True

    def save(self, must_create=False):
        if self.session_key is None:
            # A first save (a new visitor's data, a login after flush()): one
            # INSERT, without create()'s SELECT.
            self._session_key = _draw_key()
            self._insert_pending = True
        if not self._insert_pending:
            return super().save(must_create)
        while True:
            try:
                super().save(must_create=True)
            except CreateError:
                self._session_key = _draw_key()
                continue
            self._insert_pending = False
            return

    async def asave(self, must_create=False):
        if self.session_key is None:
            self._session_key = _draw_key()
            self._insert_pending = True
        if not self._insert_pending:
            return await super().asave(must_create)
        while True:
            try:
                await super().asave(must_create=True)
            except CreateError:
                self._session_key = _draw_key()
                continue
            self._insert_pending = False
            return
