"""Django's cached_db engine (Redis in front of the database), writing a new
session once (see ent/directory/session_engines)."""

from django.contrib.sessions.backends import cached_db

from ent.directory.session_engines import WriteOnceMixin


class SessionStore(WriteOnceMixin, cached_db.SessionStore):
    pass
