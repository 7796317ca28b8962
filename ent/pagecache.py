"""Whole-page cache for the busiest GET pages (home, homework week, register,
inbox), per person *and* per browser session, invalidated by versions.

Why: on the lockdown Monday most requests are the same people reloading the
same few pages; rendering them again costs ~10-20 ms of CPU each (templates and
ORM), a cache read well under 1 ms (see the benchmark issue).

How it stays correct:
- The key holds the person, the session (its key and its data, so the child
  chosen in the header counts), the CSRF secret (the page's forms carry a token
  for it), the language, the full path and today's date. One family's page can
  never be served to anyone else: a different person or browser is a different
  key.
- It is stored with the versions, read before rendering, of every "scope" the
  page depends on (random tokens), and served only while they are still the
  current ones; page and versions come in one read. Each write deletes the
  versions of the scopes it touches (`bump`), right away and again once its
  transaction commits; the next reader draws a new token, so a page rendered
  from data that a write was about to replace carries a version that is no
  longer current.
  Scopes: "dir" (the directory: people, classes, links; every page depends on
  it), "nt:<person>" (the unread badge), and the page's own (see each app's
  pagecache hooks: homework "hw:<viewer>", absences "reg:<register>",
  messaging "msg:<person>").
- Requests carrying flash messages, anonymous requests, requests without a CSRF
  cookie and any response that is not a plain 200 HTML page (cookies, messages
  added, errors) bypass the cache. Access checks are not skipped for a new
  person or page: a hit only replays what the view already rendered, after its
  checks, for this same person, under versions that any change of access bumps.
- settings.PAGE_CACHE_SECONDS bounds how long a page lives (0 turns it off).
  Versions are bumped even then: other caches key on them (messaging's write
  permission).
"""

import contextvars
import hashlib
import secrets
import zlib
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import get_language

from ent import db_router
from ent.cache import delete_now_and_at_commit

SCOPE_PREFIX = "pagever:"
PAGE_PREFIX = "page:v3:"
DIRECTORY = "dir"
UNREAD = "nt"  # "nt:<person>": the unread badge, in every cached page
# Session keys that change without changing what a page shows.
_VOLATILE_SESSION_KEYS = frozenset({"_session_expiry"})


def scope(prefix: str, key) -> str:
    """One scope of a family, e.g. scope("reg", 12) -> "reg:12"."""
    return f"{prefix}:{key}"


# A version may expire at any time (a fresh random one replaces it): the TTL only
# bounds Redis memory, one small key per person and scope.
VERSION_SECONDS = 60 * 60 * 24


# The version keys a bumper run by bump_after_commit deletes: collected there,
# so that the run now and the run at commit each cost one DEL.
_collected: contextvars.ContextVar[list | None] = contextvars.ContextVar("pagecache_collected", default=None)


def bump(*scopes) -> None:
    """The pages depending on these scopes are out of date: new versions now and
    again after the current transaction commits (see the module docstring).
    Versions are deleted, and drawn afresh by the next reader: one DEL for any
    number of scopes, where setting 60 new values took ~5 ms (an announcement
    bumps every family of a class)."""
    keys = [SCOPE_PREFIX + s for s in frozenset(scopes) if s]
    collected = _collected.get()
    if collected is not None:
        collected.extend(keys)  # bump_after_commit deletes them, now and at commit
        return
    delete_now_and_at_commit(keys)


def bump_each(prefix: str, keys) -> None:
    bump(*(scope(prefix, key) for key in set(keys) if key))


def _versions(scopes, found=None) -> list[str]:
    """The scopes' versions; `found`: those already read (by key), the others
    are read now."""
    keys = [SCOPE_PREFIX + s for s in scopes]
    if found is None:
        found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            # Never fall back to a fixed "0": a version evicted by Redis would
            # bring pages cached under "0" back to life.
            token = secrets.token_hex(8)
            if not cache.add(key, token, VERSION_SECONDS):
                token = cache.get(key) or token
            found[key] = token
    return [found[k] for k in keys]


def versioned_get(key, scopes):
    """(value, versions): what is stored under `key` if it was stored under the
    scopes' current versions (else None), and those versions, in one cache read.
    Store a fresh value with `versioned_set(key, value, versions, ttl)`, using
    the versions read *before* computing it: a value computed across a write is
    stored under a version that write has already replaced."""
    found = cache.get_many([key, *(SCOPE_PREFIX + s for s in scopes)])
    versions = _versions(scopes, found)
    hit = found.get(key)
    if hit is not None and hit[0] == versions:
        return hit[1], versions
    return None, versions


def versioned_set(key, value, versions, ttl) -> None:
    cache.set(key, (versions, value), ttl)


def cached_under(key, scopes, compute, ttl):
    """`compute()`, kept under the scopes' versions for `ttl` seconds (0: not
    kept): what a few directory-shaped reads use (a pupil's enrolment, a
    register's roster), where building the query cost more CPU than running it.
    None is a value like any other."""
    if not ttl:
        return compute()
    hit, versions = versioned_get(key, scopes)
    if hit is not None:
        return hit[0]
    value = compute()
    versioned_set(key, (value,), versions, ttl)
    return value


def current_versions(*scopes) -> str:
    """The scopes' current versions as one string, for other caches that must
    end when the same writes happen (e.g. messaging's write permission)."""
    return ".".join(_versions(scopes))


def _has_messages(request) -> bool:
    if request.COOKIES.get(getattr(settings, "MESSAGE_COOKIE_NAME", CookieStorage.cookie_name)):
        return True
    session = getattr(request, "session", None)
    return bool(session is not None and session.get("_messages"))


def _page_key(request, scopes) -> str:
    """Who, which browser session, which page and day: the versions are not in
    the key but stored with the page, so that one read brings both."""
    session = request.session
    session_data = sorted((k, repr(v)) for k, v in session.items() if k not in _VOLATILE_SESSION_KEYS)
    parts = [
        str(request.user.pk),
        session.session_key or "",
        repr(session_data),
        request.META["CSRF_COOKIE"],
        get_language() or "",
        request.get_full_path(),
        timezone.localdate().isoformat(),
        *scopes,
    ]
    return PAGE_PREFIX + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _storable(request, response) -> bool:
    # Messages added by the view (none were pending: _has_messages); len() does
    # not mark them read.
    queued = len(messages.get_messages(request))
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and response.get("Content-Type", "").startswith("text/html")
        and "no-store" not in response.get("Cache-Control", "")
        and not queued
    )


def expire_at(response, when) -> None:
    """The page shows something that changes at a moment without any write
    (e.g. a scheduled homework entry appearing): it is not kept past it.
    `when()` returns that aware datetime, or None for nothing scheduled; it is
    only called when the page is about to be stored."""
    response._page_cache_until = when


def _seconds_left(response, ttl) -> int:
    when = getattr(response, "_page_cache_until", None)
    until = when() if when is not None else None
    if until is None:
        return ttl
    return min(ttl, int((until - timezone.now()).total_seconds()))


def cached_page(page_scopes):
    """Serve a GET view from the page cache. `page_scopes(request, *args,
    **kwargs)` lists the page's own scopes; "dir" and the person's unread badge
    are always added. A view whose page also changes with the clock says when
    with `expire_at(response, when)`. Put it under login_required and the
    method decorators."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            ttl = settings.PAGE_CACHE_SECONDS
            if (
                not ttl
                or request.method != "GET"
                or not request.user.is_authenticated
                or "CSRF_COOKIE" not in request.META
                or _has_messages(request)
            ):
                return view(request, *args, **kwargs)
            uid = request.user.pk
            scopes = [DIRECTORY, scope(UNREAD, uid), *page_scopes(request, *args, **kwargs)]
            key = _page_key(request, scopes)
            # The page and the current versions of its scopes in one round trip.
            # A page is served only if it was rendered under the versions current
            # now: versions are read before rendering and stored with the page,
            # so a page rendered across a write is stored under a version the
            # write has already replaced.
            hit, versions = versioned_get(key, scopes)
            if hit is not None:
                content, headers = hit
                response = HttpResponse(zlib.decompress(content), headers=headers)
                # Not a header (nothing for the browser): what tests check to
                # tell a replayed page from one rendered afresh.
                response.served_from_page_cache = True
                return response
            # Rendered from the primary: a page read from a lagging replica would
            # be stored under the fresh versions and outlive the lag.
            with db_router.primary():
                response = view(request, *args, **kwargs)
            if _storable(request, response) and (ttl := _seconds_left(response, ttl)) > 0:
                # Compressed (~35 KB of HTML -> ~6 KB): thousands of sessions
                # keep their pages in Redis at once.
                versioned_set(key, (zlib.compress(response.content, 1), dict(response.headers)), versions, ttl)
            return response

        return wrapper

    return decorator


def cascaded(sender, origin) -> bool:
    """True for a row deleted because another model's row was (post_delete's
    `origin`): the parent's own receiver has bumped what depends on it, and one
    query per cascaded row would make purges crawl."""
    model = getattr(origin, "model", None) or type(origin)
    return origin is not None and not issubclass(model, sender)


def _keys_bumped_by(fn, args) -> list[str]:
    collected = []
    token = _collected.set(collected)
    try:
        fn(*args)
    finally:
        _collected.reset(token)
    return collected


def bump_after_commit(fn, *args) -> None:
    """For the actions, the one write path: run the bumper `fn(*args)` now and
    again once the transaction commits (a reader between the two would store
    a page under versions about to be replaced, see the module docstring; and
    the run at commit sees what other transactions committed meanwhile, e.g. a
    register opened over a notice's days). Each run deletes the versions in one
    round trip, the run at commit those of both runs. Outside a transaction the
    write is committed already: one run.
    Bulk writes (`update()`, `bulk_create()`, `delete()` on a queryset) send no
    signal: the action that makes them calls this with what they touch."""
    now = _keys_bumped_by(fn, args)
    if now:
        cache.delete_many(now)
    if not transaction.get_connection().in_atomic_block:
        return

    def at_commit():
        keys = set(now).union(_keys_bumped_by(fn, args))
        if keys:
            cache.delete_many(list(keys))

    transaction.on_commit(at_commit, robust=True)


class BumpsPagesAdmin:
    """ModelAdmin mixin. The admin writes outside the actions, so it says what
    its saves and deletes touch: a subclass defines `bump_pages(obj)` (the same
    bumpers its app's actions call). Deletes: the object's fields stay readable
    in memory after `delete()`, so the bumper can still find its readers."""

    def bump_pages(self, obj) -> None:  # pragma: no cover - a subclass says it
        raise NotImplementedError(f"{type(self).__name__} must say which pages its writes touch")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        bump_after_commit(self.bump_pages, obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        bump_after_commit(self.bump_pages, obj)

    def delete_queryset(self, request, queryset):
        objs = list(queryset)
        super().delete_queryset(request, queryset)
        for obj in objs:
            bump_after_commit(self.bump_pages, obj)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        changed = [obj for obj, _fields in formset.changed_objects]
        for obj in [*formset.new_objects, *changed, *formset.deleted_objects]:
            bump_after_commit(self.bump_pages, obj)
