"""HTTP response policy shared by every page."""

from django.shortcuts import resolve_url
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme


class PrivateCacheMiddleware:
    """A signed-in person's responses are never stored by a browser or a proxy.

    Why: on a shared computer (a school room, a public digital space) the next
    person could open the previous family's notice, conversation or child's
    absences from the browser's cache after they signed out. `no-store` rather
    than `no-cache`: `no-cache` still writes the page to the disk cache (it only
    asks to revalidate before use), which is what must not happen here.

    Static files never reach this (WhiteNoise answers them before), nor do
    anonymous pages (login, activation, health checks): they keep their caching.
    The server's page cache (ent/pagecache.py) stores a page before this runs and
    replays it through here, so a replayed page carries the header too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


def safe_next(request, default: str, *, field: str = "next") -> str:
    """The page to go back to after a form: the `next` the form sent (POST, else
    GET) when it is a path of this site, else `default` (a URL name or a path).

    Why a path only: `url_has_allowed_host_and_scheme` also accepts a bare word
    such as "foo" (a relative URL), which `redirect()` would take for a view name
    (NoReverseMatch: a 500 after the change was saved). Other hosts, `//host`,
    `/\\host`, `https:host` and, on https, plain http are refused by Django's check."""
    target = request.POST.get(field) or request.GET.get(field) or ""
    allowed = {request.get_host()}
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(target, allowed_hosts=allowed, require_https=request.is_secure())
    ):
        return target
    return resolve_url(default)
