"""The API object: version 1, its authentication, errors, rate limits, ETags, schema."""

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.cache import patch_vary_headers
from ninja import Field, NinjaAPI, Schema
from ninja.throttling import AuthRateThrottle

from ent.api import auth, problems, readcache

ERROR_STATUSES = frozenset({400, 401, 403, 404, 409, 413, 415, 422, 429})


class ReadThrottle(AuthRateThrottle):
    """Per credential (token, or person on the session), on the cache (Redis in production).

    A fixed window counted with one INCR: one cache round trip per request, where
    ninja's sliding log reads and rewrites the list of the last N request times
    (two round trips and a list of up to N floats pickled each time: issue #23).
    The price: a client may get up to twice the rate across a window's edge,
    which is still a bound on a runaway script."""

    scope = "api"
    setting = "API_RATE_LIMIT"

    def __init__(self):
        super().__init__(getattr(settings, self.setting))
        self._wait = None

    def allow_request(self, request):
        # Read the rate each time: a changed setting (tests, a reload) applies at once.
        self.num_requests, self.duration = self.parse_rate(getattr(settings, self.setting))
        now = time.time()
        window = int(now // self.duration)
        key = f"{self.get_cache_key(request)}:{window}"
        try:
            count = cache.incr(key)
        except ValueError:
            # The window's first request. If add() fails, a racing request
            # started the window (this one goes uncounted) or the cache stores
            # nothing: the API stays open, as with ninja's throttle.
            count = 1 if cache.add(key, 1, self.duration) else None
        self._wait = (window + 1) * self.duration - now
        # None also when the cache is down (its errors are ignored).
        return count is None or count <= self.num_requests

    def wait(self):
        return self._wait


class WriteThrottle(ReadThrottle):
    """Writes have their own, lower budget (a runaway script sends few messages)."""

    scope = "api-write"
    setting = "API_WRITE_RATE_LIMIT"

    def allow_request(self, request):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request)


class EntAPI(NinjaAPI):
    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        if request.method == "GET" and response.status_code == 200:
            # An app asking again with If-None-Match gets 304 and no body when
            # nothing changed; the ETag is kept with the body in the read cache.
            etag = readcache.etag_of(response.content)
            readcache.store(request, response, etag)
            return readcache.conditional(request, response, etag)
        patch_vary_headers(response, readcache.VARY)
        return response

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        # Errors are problem details: say so, so clients (and schemathesis) expect that media type.
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for code, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(code) >= 400 and "application/json" in content:
                        content[problems.CONTENT_TYPE] = content.pop("application/json")
        return schema


api = EntAPI(
    title="ENT API",
    version="1",
    urls_namespace="api-v1",
    description="The ENT's API for apps: the same data and rules as the pages. See docs/api.md.",
    auth=auth.authenticators(),
    throttle=[ReadThrottle(), WriteThrottle()],
    docs_url="/docs/",
)
problems.install(api)

# The errors every endpoint may answer, documented once.
ERRORS = {ERROR_STATUSES: problems.Problem}


def responses(ok: dict) -> dict:
    return {**ok, **ERRORS}


# Pagination: limit/offset, at most MAX_PAGE rows a page (a huge page size is a
# 422 problem, not a slow answer). The list endpoints give count + items.
MAX_PAGE = 100


class PageQuery(Schema):
    limit: int = Field(20, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=1_000_000)


def page_of(rows, page: PageQuery, convert) -> dict:
    """One page of `rows` (a queryset or a list): its total count and its items, converted."""
    count = len(rows) if isinstance(rows, list) else rows.count()
    items = [convert(r) for r in rows[page.offset : page.offset + page.limit]]
    return {"count": count, "limit": page.limit, "offset": page.offset, "items": items}
