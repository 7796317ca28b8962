"""The installable web app's three files: its manifest, its service worker (at
the root, so that its scope is the whole site) and the list of what it keeps
for offline reading."""

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ent.notify import pwa


@require_GET
def manifest(request):
    """The Web App Manifest, named in the reader's language (the link asks for it
    with credentials, so the language cookie counts)."""
    response = JsonResponse(pwa.manifest(request), json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    patch_cache_control(response, no_cache=True)
    return response


@require_GET
def service_worker(request):
    """The worker's script. Served by us at /sw.js (not from /static/) because a
    worker's scope is limited to its own folder; `no-cache` so that a new version
    reaches phones at their next visit."""
    response = render(request, "notify/pwa/sw.js", pwa.worker_context(), content_type="text/javascript")
    patch_cache_control(response, no_cache=True)
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def offline_list(request):
    """What the worker keeps for this account, and under which key. Anonymous: no
    account, so the worker drops every page it kept (the session ended)."""
    if not request.user.is_authenticated:
        return JsonResponse({"account": None})
    return JsonResponse(
        {
            "account": pwa.account_key(request),
            "precache": pwa.precache_paths(),
            "patterns": pwa.offline_patterns(),
            "login": reverse("account_login"),
            "language": get_language(),
            "title": _("Offline"),
        }
    )
