"""Read-only pages from a PostgreSQL streaming replica, everything else from the
primary (Django's DATABASE_ROUTERS API; settings "# Database replica").

Which requests read from the replica: GET and HEAD requests, and only them, as
decided by ReadYourWritesMiddleware at the start of each request. Everything else
reads from the primary: other methods (a POST's reads come before its writes and
take locks), Celery tasks and management commands (no request: the default is
the primary), anything inside a transaction (`atomic()` on the primary), the
rest of a request once it has written, and pages of the page cache (a page
rendered from a lagging replica would be stored under the fresh version and
outlive the lag; see ent/pagecache.py).

Read-your-writes: a response to a request that wrote (any write through the ORM,
or any non-GET/HEAD method) carries a short-lived signed cookie; while it is
valid (DATABASE_REPLICA_PIN_SECONDS, longer than the replica's usual lag) that
browser's requests all read from the primary, so the person who just wrote sees
their write on the next page even if the replica lags. Other people see it once
the replica has replayed it (about a second on one network).

Replica down: each process checks it can reach the replica before routing a
request there (a no-op on an open connection); when it cannot, the process uses
the primary and tries the replica again DATABASE_REPLICA_RETRY_SECONDS later. A
GET that fails on the replica mid-way (it died during the request) is run again
on the primary, once: GET and HEAD views do not change state, so running one
twice is harmless. Nobody gets a 500 for a replica that went away.
"""

import contextlib
import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections

log = logging.getLogger(__name__)

REPLICA = "replica"
PIN_COOKIE = "ent_primary"
_PIN_SALT = "ent.db_router.pin"
SAFE_METHODS = frozenset({"GET", "HEAD"})


@dataclass
class _Route:
    """This request's choice. Mutable, so that a write seen by the router in the
    view's thread is seen by the middleware too, however asgiref copies contexts."""

    read_from: str = DEFAULT_DB_ALIAS
    wrote: bool = False


_route: ContextVar[_Route | None] = ContextVar("ent_db_route", default=None)
# Per process: the replica was unreachable; retry after this monotonic time.
_replica_down_until = 0.0


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_available() -> bool:
    """Can this process read from the replica now? Connects if needed (cheap when
    the connection is open); a failure keeps the replica out for a while."""
    global _replica_down_until
    if not replica_configured() or time.monotonic() < _replica_down_until:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except (OperationalError, InterfaceError) as exc:
        mark_replica_down(exc)
        return False
    return True


def mark_replica_down(exc=None) -> None:
    global _replica_down_until
    _replica_down_until = time.monotonic() + settings.DATABASE_REPLICA_RETRY_SECONDS
    log.warning("database replica unavailable, reading from the primary for a while: %s", exc)
    with contextlib.suppress(DatabaseError):
        connections[REPLICA].close()


@contextlib.contextmanager
def primary():
    """Read from the primary inside this block (the page cache's renders)."""
    route = _route.get()
    if route is None:
        yield
        return
    before, route.read_from = route.read_from, DEFAULT_DB_ALIAS
    try:
        yield
    finally:
        if not route.wrote:
            route.read_from = before


class PrimaryReplicaRouter:
    """Django database router: writes to the primary, reads where the request's
    route says, migrations on the primary only (the replica replays them)."""

    def db_for_read(self, model, **hints):
        route = _route.get()
        if route is None or route.read_from == DEFAULT_DB_ALIAS:
            return DEFAULT_DB_ALIAS
        # A transaction on the primary sees its own uncommitted rows; the
        # replica would not. (A GET rarely opens one; when it does, stay there.)
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return route.read_from

    def db_for_write(self, model, **hints):
        route = _route.get()
        if route is not None:
            # The rest of this request, and this browser's next ones, read from
            # the primary: the person sees what they just wrote.
            route.wrote = True
            route.read_from = DEFAULT_DB_ALIAS
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # One database, two copies: objects from either may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def _pinned(request) -> bool:
    value = request.get_signed_cookie(
        PIN_COOKIE, default=None, salt=_PIN_SALT, max_age=settings.DATABASE_REPLICA_PIN_SECONDS
    )
    return value is not None


class ReadYourWritesMiddleware:
    """Chooses each request's database (see the module docstring); place it before
    anything that reads the database (sessions and the user load lazily)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        route = _Route()
        try:
            pinned = _pinned(request)
        except signing.BadSignature:
            pinned = False
        if request.method in SAFE_METHODS and not pinned and replica_available():
            route.read_from = REPLICA
        token = _route.set(route)
        try:
            response = self.get_response(request)
        finally:
            _route.reset(token)
        if route.wrote or request.method not in SAFE_METHODS:
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=_PIN_SALT,
                max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.ent_db_view = (view_func, view_args, view_kwargs)

    def process_exception(self, request, exception):
        route = _route.get()
        if (
            route is None
            or route.read_from != REPLICA
            or not isinstance(exception, OperationalError | InterfaceError)
            or not hasattr(request, "ent_db_view")
        ):
            return None
        # The replica failed under this GET: once more on the primary.
        mark_replica_down(exception)
        route.read_from = DEFAULT_DB_ALIAS
        view_func, args, kwargs = request.ent_db_view
        response = view_func(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        return response
