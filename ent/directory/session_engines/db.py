"""Django's db engine, writing a new session once (see ent/directory/session_engines)."""

from django.contrib.sessions.backends import db

from ent.directory.session_engines import WriteOnceMixin


class SessionStore(WriteOnceMixin, db.SessionStore):
    pass
