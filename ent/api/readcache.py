"""The API's read cache: the JSON of a GET endpoint kept per person, under the
same version scopes as the page that shows the same data (ent/pagecache.py).

Why: an app reloading the week or the inbox asks for what a page reload asks
for; the page is replayed from the cache for ~1 ms of CPU, the API recomputed
it for ~10 (issue #23). With this the API's repeat read costs what the page's
does, and a 304 costs nothing more: the ETag is computed once, with the body.

How it stays correct (the page cache's argument, see its docstring):
- Authentication, scopes of OpenID tokens and the rate limit run before this,
  on every request. A hit only replays what the endpoint answered, after its
  access checks, to this same person for this same path and query string,
  language and day, under the versions of the endpoint's scopes read before it
  ran: "dir" (the directory: any change of who is whose child, who teaches
  what, a blocked account) plus the page's own scopes (e.g. homework "hw:<person>",
  messaging "msg:<person>"), which every write that changes them bumps, through
  a page, an action or the API.
- Only 200 answers are stored (errors and problems never), computed from the
  primary database.
- An endpoint whose data changes with the clock (scheduled homework) says
  until when with `expire_at(request, when)`, as a page does.
- settings.PAGE_CACHE_SECONDS bounds how long an answer lives (0: off).
"""

import hashlib
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from django.utils.translation import get_language

from ent import db_router, pagecache

PREFIX = "apiread:v1:"
# Every answer depends on who asks and in which language.
VARY = ("Authorization", "Accept-Language")


def etag_of(body: bytes) -> str:
    # A strong validator of the body.
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def conditional(request, response, etag):
    """The 200 `response` with its ETag, or 304 without a body when the app's
    If-None-Match already names it."""
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    response["ETag"] = etag
    patch_vary_headers(response, VARY)
    return response


@dataclass
class Slot:
    """Where EntAPI.create_response stores the answer of this request (a miss)."""

    key: str
    versions: list
    ttl: int
    until: object = None  # a callable returning an aware datetime or None (expire_at)

    def seconds(self) -> int:
        until = self.until() if self.until is not None else None
        if until is None:
            return self.ttl
        return min(self.ttl, int((until - timezone.now()).total_seconds()))


def _key(request, scopes) -> str:
    parts = [
        str(request.user.pk),
        get_language() or "",
        request.get_full_path(),
        timezone.localdate().isoformat(),
        *scopes,
    ]
    return PREFIX + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def cached_read(read_scopes):
    """Serve a GET endpoint from the cache. `read_scopes(request, *args,
    **kwargs)` lists its scopes (the matching page's); "dir" is always added.
    Put it under the router's decorator, on the view function."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            ttl = settings.PAGE_CACHE_SECONDS
            if not ttl or request.method != "GET" or not request.user.is_authenticated:
                return view(request, *args, **kwargs)
            scopes = [pagecache.DIRECTORY, *read_scopes(request, *args, **kwargs)]
            key = _key(request, scopes)
            hit, versions = pagecache.versioned_get(key, scopes)
            if hit is not None:
                # Ninja passes a response through as it is.
                body, content_type, etag = hit
                return conditional(request, HttpResponse(body, content_type=content_type), etag)
            request.api_read_slot = Slot(key, versions, ttl)
            # From the primary: an answer read from a lagging replica would be
            # stored under the fresh versions and outlive the lag.
            with db_router.primary():
                return view(request, *args, **kwargs)

        return wrapper

    return decorator


def expire_at(request, when) -> None:
    """The answer shows something that changes at a moment without any write:
    it is not kept past `when()` (an aware datetime, or None for nothing
    scheduled), called only when the answer is about to be stored."""
    slot = getattr(request, "api_read_slot", None)
    if slot is not None:
        slot.until = when


def store(request, response, etag) -> None:
    """After the endpoint answered 200 (EntAPI.create_response): keep the body
    and its ETag, if this request was a miss of cached_read."""
    slot = getattr(request, "api_read_slot", None)
    if slot is None or response.status_code != 200 or response.streaming:
        return
    ttl = slot.seconds()
    if ttl > 0:
        pagecache.versioned_set(slot.key, (response.content, response["Content-Type"], etag), slot.versions, ttl)
