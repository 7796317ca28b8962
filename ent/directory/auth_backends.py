"""Authentication backends whose `get_user` reads the signed-in person from the
cache.

Why: every request loads its user (AuthenticationMiddleware). On a page served
from the page cache that SELECT was the largest cost left, about a third of the
CPU of the request (the benchmark issue: Django builds and runs the query, then
the model instance). Reading a pickled row from Redis costs a fraction of it.

How it stays correct:
- Any save or deletion of a person forgets their cached row (signals), right away
  and again once the transaction commits: a reader between the two cannot keep
  the old row (the same pattern as ent/pagecache.py). A password change and a
  login are saves, so the session hash is always checked against the stored
  password, and a blocked account (is_active) stops at its next request.
- The bulk writes that skip signals (blocking accounts, CSV imports) call
  `forget_users` themselves.
- settings.AUTH_USER_CACHE_SECONDS bounds how long a row lives (0 turns the
  cache off, as in the tests that pin query counts); the key holds the model's
  fields, so a deploy that changes them never reads an old pickle.
- Only `get_user` is cached: logging in (`authenticate`) always reads the
  database. The row it read, once the login has stamped last_login (and
  upgraded the hash), is the stored row: it is put in the cache after the
  login's writes have forgotten the old one, so the landing page does not
  read it again (`remember_signed_in`).
"""

import functools
import hashlib

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from ent.cache import delete_now_and_at_commit


@functools.cache
def _fields_tag() -> str:
    names = ",".join(f.attname for f in get_user_model()._meta.concrete_fields)
    return hashlib.sha256(names.encode()).hexdigest()[:8]


def _key(user_id) -> str:
    return f"authuser:{_fields_tag()}:{user_id}"


def forget_users(user_ids) -> None:
    """These people's rows changed: the next request reads them from the database."""
    delete_now_and_at_commit(_key(i) for i in {int(i) for i in user_ids if i is not None})


class CachedUserMixin:
    def get_user(self, user_id):
        ttl = settings.AUTH_USER_CACHE_SECONDS
        if not ttl:
            return super().get_user(user_id)
        try:
            key = _key(int(user_id))
        except (TypeError, ValueError):
            return None
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(key, user, ttl)
            return user
        return user if self.user_can_authenticate(user) else None


class CachedModelBackend(CachedUserMixin, ModelBackend):
    pass


class CachedAllauthBackend(CachedUserMixin, AllauthBackend):
    pass


class OWASPArgon2Hasher(Argon2PasswordHasher):
    """Argon2id with one of the parameter sets of the OWASP Password Storage
    Cheat Sheet, which it gives as equal defences: m = 12 MiB, t = 3, p = 1.
    Measured on the 2-core bench machine (argon2-cffi, CPU time of a check,
    medians of alternating rounds, session 11): m = 19 MiB, t = 2: 24.1-25.6 ms
    (26.5 with two checks at once); m = 12 MiB, t = 3: 19.6-21.8 ms (23.8);
    m = 7 MiB, t = 5: 19.3-20.5 ms; m = 46 MiB, t = 1: 60.6 ms. The 19 MiB set
    was used until then; 12 MiB keeps more memory per guess than the two
    cheapest sets. Django's own Argon2 defaults (m = 100 MiB, p = 8) cost several
    times that and its PBKDF2 ~370 ms. Never go below OWASP's sets to win a
    benchmark. A hash made with other parameters (the 19 MiB ones included) is
    rewritten with these at the next login (must_update)."""

    time_cost = 3
    memory_cost = 12 * 1024  # KiB
    parallelism = 1


# The backend path stored in sessions at login (and by tests and the benchmark
# when they make a session by hand).
DEFAULT_BACKEND = "ent.directory.auth_backends.CachedModelBackend"


def _changed(sender, instance, **kwargs):
    forget_users([instance.pk])


def remember_signed_in(sender, request, user, **kwargs):
    """user_logged_in, after Django's update_last_login: cache the row just
    read and written, as get_user would have read it. A fresh instance built
    from the row's fields (Model.from_db), so nothing computed on this one
    (roles, the backend, allauth's attributes) is stored with it. After
    commit, so after the forget that the login's own saves scheduled."""
    ttl = settings.AUTH_USER_CACHE_SECONDS
    if not ttl or user is None or user.pk is None:
        return
    fields = get_user_model()._meta.concrete_fields
    row = type(user).from_db(None, [f.attname for f in fields], [getattr(user, f.attname) for f in fields])
    key = _key(user.pk)
    transaction.on_commit(lambda: cache.set(key, row, ttl))


def connect():
    from django.contrib.auth.signals import user_logged_in

    user_model = get_user_model()
    post_save.connect(_changed, sender=user_model, dispatch_uid="authuser-save")
    post_delete.connect(_changed, sender=user_model, dispatch_uid="authuser-delete")
    # Connected after django.contrib.auth's update_last_login (its app is
    # installed before ent.directory): the row cached carries the new stamp.
    user_logged_in.connect(remember_signed_in, dispatch_uid="authuser-logged-in")
