"""Sessions and the sockets opened with them: one place ends both.

Why: a WebSocket is authenticated once, at its handshake. Without help it would
keep acting for a person after their session ended (logout, password change,
blocked account, office reset, expiry, "sign out everywhere"). So:

- every socket joins a group named after its session (`session_group`: a keyed
  hash, never the key itself, which is a credential) and its person's
  `user-<id>` group; each end of a session tells those groups, after commit,
  through the channel layer (so sockets served by other processes hear it);
- the socket also checks, on each frame, that its session still exists and still
  signs in the same person (`session_user_id`), and watches the expiry date;
- sessions are listed per person by allauth's `usersessions` (one row per signed-in
  device, written at login by `list_session` in one UPSERT); ending one deletes the
  session and the row (allauth's `UserSession.end`).

Public API for other modules (login, MFA, remember-me):
    end_sessions(user, *, except_session_key=None, reason=Reason.SIGNED_OUT) -> int
    close_session_sockets(session_keys, *, reason)
    end_sessions_by_key(session_keys, *, reason) -> int
"""

import logging
import time
from importlib import import_module
from types import SimpleNamespace

from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from django.conf import settings
from django.contrib.auth import get_user
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)

# The channel layer event, and the frame the socket sends before it closes.
SESSION_ENDED = "session.ended"


class Reason:
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a reason, not a password)
    BLOCKED = "blocked"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (the office reset the account)
    EXPIRED = "expired"
    SIGNED_OUT = "signed_out"  # from "Mes appareils": one device, or all of them
    ENDED = "ended"  # found gone or no longer valid by the socket's own check


def session_group(session_key: str) -> str:
    """The channel layer group of one session's sockets. Keyed with the secret
    key: group names sit in Redis, and a session key there would be a credential."""
    return "session-" + salted_hmac("ent.directory.sessions.group", session_key).hexdigest()[:40]


def _user_group(user_id) -> str:
    from ent.notify.push import user_group

    return user_group(int(user_id))


def _send(messages: dict) -> None:
    """Tell groups through the process's one push path (ent.notify.push), which
    never blocks the request on Redis; a lost message is not a hole: the
    sockets' own check on each frame still refuses to act for an ended session."""
    from ent.notify import push

    push.send_to_groups(messages)


def close_session_sockets(session_keys, *, reason: str) -> None:
    """Close the sockets opened with these sessions, once the current
    transaction commits (at once outside one)."""
    messages = {session_group(k): {"type": SESSION_ENDED, "reason": reason} for k in session_keys if k}
    if messages:
        transaction.on_commit(lambda: _send(messages))


def _close_user_sockets(user_ids, *, reason: str, except_session_key=None) -> None:
    """Every socket of these people, except those of `except_session_key`: this
    also reaches sockets whose session allauth never listed (made before it was
    installed, or by hand)."""
    keep = session_group(except_session_key) if except_session_key else ""
    messages = {_user_group(i): {"type": SESSION_ENDED, "reason": reason, "keep": keep} for i in user_ids}
    if messages:
        transaction.on_commit(lambda: _send(messages))


def _end_rows(rows, *, reason: str) -> None:
    for row in rows:
        row.end()  # allauth: deletes the session from the session store, then the row
    close_session_sockets([row.session_key for row in rows], reason=reason)


def end_sessions(user, *, except_session_key=None, reason: str = Reason.SIGNED_OUT) -> int:
    """End every session of `user` (a User or an id) but `except_session_key`,
    and close their sockets. Returns how many listed sessions were ended.

    Call it from an action, inside its transaction: the sockets are told once it
    commits. A password change keeps the changer's own session
    (`except_session_key=request.session.session_key`); a block or an office
    reset ends them all."""
    return end_sessions_of([getattr(user, "pk", user)], except_session_key=except_session_key, reason=reason)


def end_sessions_of(user_ids, *, except_session_key=None, reason: str) -> int:
    """end_sessions for several people at once (a bulk block)."""
    from allauth.usersessions.models import UserSession

    user_ids = [int(i) for i in user_ids]
    if not user_ids:
        return 0
    rows = list(UserSession.objects.filter(user_id__in=user_ids).exclude(session_key=except_session_key or ""))
    _end_rows(rows, reason=reason)
    _close_user_sockets(user_ids, reason=reason, except_session_key=except_session_key)
    return len(rows)


def end_sessions_by_key(session_keys, *, reason: str) -> int:
    """End these sessions, listed or not, and close their sockets (an IdP's
    back-channel logout names sessions, not people). Returns how many were
    listed among devices; a key already gone is a no-op."""
    from allauth.usersessions.models import UserSession

    keys = {k for k in session_keys if k}
    if not keys:
        return 0
    rows = list(UserSession.objects.filter(session_key__in=keys))
    _end_rows(rows, reason=reason)
    unlisted = keys - {row.session_key for row in rows}
    for key in unlisted:
        _store(key).delete()
    close_session_sockets(sorted(unlisted), reason=reason)
    return len(rows)


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    """allauth's "sign out other sessions" goes through here: close their sockets too."""

    def end_sessions(self, sessions) -> None:
        _end_rows(list(sessions), reason=Reason.SIGNED_OUT)


# --- What the socket checks ---------------------------------------------------------


def _store(session_key):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key)


def session_user_id(session_key) -> int | None:
    """The id of the person this session signs in now, or None: session gone,
    expired, password changed since, account blocked. Django's own check
    (django.contrib.auth.get_user: the session hash against the password), on a
    fresh read of the session: one cache read with cached_db, plus the person's
    row (cached too, ent/directory/auth_backends.py)."""
    if not session_key:
        return None
    user = get_user(SimpleNamespace(session=_store(session_key)))
    return user.pk if user.is_authenticated else None


def session_expiry(session_key):
    """When the session expires, as stored (the database backends keep it on the
    row; use may push it later), or None when it is gone or not knowable."""
    engine = import_module(settings.SESSION_ENGINE)
    model_class = getattr(engine.SessionStore, "get_model_class", None)
    if model_class is None:
        return None
    return model_class().objects.filter(session_key=session_key).values_list("expire_date", flat=True).first()


# --- Last use, for "Mes appareils" -------------------------------------------------------

LAST_SEEN_PREFIX = "session-seen:"


def _seen_key(session_key) -> str:
    return LAST_SEEN_PREFIX + session_group(session_key)


def last_seen(session_keys) -> dict:
    """session key -> the time of its last request, when known."""
    keys = {_seen_key(k): k for k in session_keys}
    found = cache.get_many(list(keys))
    return {keys[k]: v for k, v in found.items()}


class SessionActivityMiddleware:
    """Remember each signed-in session's last request, for the devices page.
    One cache write per request (no database write: allauth's own activity
    tracking writes the row on every request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and user.is_authenticated and session is not None and session.session_key:
            cache.set(_seen_key(session.session_key), timezone.now(), settings.SESSION_COOKIE_AGE)
        return response


def list_session(request) -> None:
    """List this request's session among the person's devices, in one
    INSERT ... ON CONFLICT (an UPSERT on the unique session key).

    Why not allauth's own login receiver (usersessions' `on_user_logged_in`,
    disconnected in `connect()`): it first walks every listed session of the
    person, reading each one back from the session store (and its person) to
    drop the dead ones, then runs a get_or_create: about six round trips and
    ~6 ms of CPU per login, more for a family with several "stay signed in"
    devices. The dead rows are dropped where they are shown instead (allauth's
    "Mes appareils" page purges them as it lists them) and by the nightly
    retention purge (`purge_devices`). The row holds what allauth's
    `create_from_request` stores: person, address, user agent, times."""
    from allauth.account.adapter import get_adapter
    from allauth.usersessions.models import UserSession

    session = request.session
    if not session.session_key:
        session.save()
    agent = request.META.get("HTTP_USER_AGENT", "")[: UserSession._meta.get_field("user_agent").max_length]
    now = timezone.now()
    row = UserSession(
        user_id=request.user.pk,
        session_key=session.session_key,
        ip=get_adapter().get_client_ip(request),
        user_agent=agent,
        created_at=now,
        last_seen_at=now,
    )
    UserSession.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["session_key"],
        update_fields=["user", "ip", "user_agent", "last_seen_at"],
    )


def track_session(request) -> None:
    """List this request's session among the person's devices (allauth's logins
    are listed by `_on_allauth_logged_in`; our activation page logs in with
    Django's login and calls this)."""
    try:
        list_session(request)
    except PermissionDenied:  # the client's address could not be told
        logger.warning("session not listed: no client address")


def purge_devices(cutoff, dry_run) -> int:
    """A retention hook (ent/directory/privacy.py, f(cutoff, dry_run)): drop the
    device rows whose session is gone from the database (expired and purged,
    or deleted), so rows of sessions nobody ended do not pile up now that a
    login no longer walks them. Sessions live in the database with both engines
    used here (db, cached_db)."""
    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session

    alive = Session.objects.filter(expire_date__gte=timezone.now()).values("session_key")
    stale = UserSession.objects.exclude(session_key__in=alive)
    if dry_run:
        return stale.count()
    return stale.delete()[1].get(UserSession._meta.label, 0)


# When the person signed in through allauth (a time.time()), in their session:
# ent/directory/adapter.py lets staff set up their first second factor right
# after it without typing their password again. A login made otherwise (the
# activation page, a test's force_login) has none: the password is asked.
LOGGED_IN_AT = "ent_logged_in_at"


def logged_in_at(request) -> float | None:
    session = getattr(request, "session", None)
    return session.get(LOGGED_IN_AT) if session is not None else None


# --- Signals --------------------------------------------------------------------------


def _on_allauth_logged_in(sender, request, **kwargs):
    # allauth's user_logged_in, as its usersessions receiver was: every allauth
    # login (password, passkey, IdP), once its stages (MFA) are through. The
    # stamp goes into the session that is written at the end of this request
    # anyway: no write of its own.
    request.session[LOGGED_IN_AT] = time.time()
    track_session(request)


def _on_logged_out(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    key = session.session_key if session is not None else None
    if not key:
        return
    from allauth.usersessions.models import UserSession

    UserSession.objects.filter(session_key=key).delete()
    close_session_sockets([key], reason=Reason.LOGOUT)


def _on_password_changed(sender, request, user, **kwargs):
    # The changer stays signed in here (Django has already moved this session
    # to the new password's hash); every other device is signed out.
    session = getattr(request, "session", None)
    end_sessions(user, except_session_key=session.session_key if session else None, reason=Reason.PASSWORD_CHANGED)


def _on_password_reset(sender, request, user, **kwargs):
    end_sessions(user, reason=Reason.PASSWORD_CHANGED)


def connect() -> None:
    from allauth.account import signals as account_signals
    from allauth.usersessions import signals as usersessions_signals
    from django.contrib.auth.signals import user_logged_out

    # One UPSERT per login instead of allauth's walk + get_or_create
    # (list_session says why): Django's Signal.disconnect of the receiver
    # allauth connects in its app's ready(), which runs before ours
    # (INSTALLED_APPS order). tests/security/test_devices.py checks it stays
    # disconnected (an upgrade that renamed it would walk again, and show there).
    account_signals.user_logged_in.disconnect(receiver=usersessions_signals.on_user_logged_in)
    account_signals.user_logged_in.connect(_on_allauth_logged_in, dispatch_uid="ent.sessions.list")
    user_logged_out.connect(_on_logged_out, dispatch_uid="ent.sessions.logout")
    account_signals.password_changed.connect(_on_password_changed, dispatch_uid="ent.sessions.password_changed")
    account_signals.password_set.connect(_on_password_changed, dispatch_uid="ent.sessions.password_set")
    account_signals.password_reset.connect(_on_password_reset, dispatch_uid="ent.sessions.password_reset")
