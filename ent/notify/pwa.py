"""The installable web app: its manifest, its service worker, what it keeps for
offline reading, and forgetting it all when the person signs out."""

import json
import re
import secrets

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

THEME_COLOR = "#1d4e89"  # the header's brand blue (ent.css --brand)
# The salt of the key of the cache the worker keeps (account_key below).
ACCOUNT_KEY_SALT = "ent.notify.pwa.account"
# Bump when the worker's caching changes: the new worker drops the old caches.
WORKER_VERSION = "3"

# Set on the request by the sign-out signal, read by the middleware below.
SIGNED_OUT_FLAG = "ent_signed_out"


@receiver(user_logged_out, dispatch_uid="ent.notify.pwa.signed_out")
def remember_sign_out(sender, request, user, **kwargs):
    if request is not None:
        setattr(request, SIGNED_OUT_FLAG, True)


class ClearSiteDataOnSignOutMiddleware:
    """The response that signs a person out tells the browser to drop this site's
    caches and storage (the installed app's offline pages, its worker), so the next
    person on a shared phone reads nothing of the previous family offline.

    Why a signal and a middleware rather than the logout view: sign-out happens in
    several places (allauth's view, the session policy, an ended session), and all
    of them send `user_logged_out`; the cookie is left alone so that the sign-out's
    own redirect and messages still work."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, SIGNED_OUT_FLAG, False):
            response["Clear-Site-Data"] = '"cache", "storage"'
        return response


def manifest(request) -> dict:
    language = translation.get_language() or "fr"
    return {
        "id": "/",
        "name": _("ENT — digital workspace of the schools"),
        "short_name": "ENT",
        "description": _("Homework, absences and messages of the school, on your phone."),
        "lang": language,
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": "#ffffff",
        "icons": [
            {"src": static("ent/pwa/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("ent/pwa/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static("ent/pwa/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }


def account_key(request) -> str:
    """This session's offline cache key: an HMAC of the session key (a new one at
    each sign-in), so the worker never holds the session key itself.

    Why derived rather than drawn and stored in the session: the worker asks for
    it from several requests at once when a page opens (and reloads); a drawn key
    stored by each of them raced (two keys, the last write winning the session,
    the worker's pages dropped under the other), and cost a session write."""
    session_key = request.session.session_key
    if not session_key:
        # No stored session (cannot happen signed in): a key of this answer alone,
        # never one shared by every such request.
        return secrets.token_hex(16)
    return salted_hmac(ACCOUNT_KEY_SALT, session_key).hexdigest()[:32]


def _url(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def precache_paths() -> list[str]:
    """Fetched by the worker when online: this week's and next week's homework (the
    child chosen last, for a parent), the inbox with the last messages, and this
    week's timetable with its changes (an installation without the timetable
    app has no such page)."""
    return [p for p in (_url("homework:week"), _url("messaging:inbox"), _url("timetable:mine")) if p]


def offline_patterns() -> list[str]:
    """Pages the worker keeps when they are read online (regular expressions on
    the path): the homework week, the inbox and the conversations."""
    patterns = [re.escape(p) for p in precache_paths()]
    conversation = _url("messaging:conversation", 987654321)
    if conversation:
        patterns.append(re.escape(conversation).replace("987654321", r"\d+"))
    return ["^" + p + "$" for p in patterns]


def worker_context() -> dict:
    """What the worker's template needs: the files it keeps for the offline page,
    and its words in both languages (it serves pages of either)."""
    words = {}
    for code in ("fr", "en"):
        with translation.override(code):
            words[code] = {
                "banner": _("Offline — up to date as of %(time)s"),
                "banner_day": _("Offline — up to date as of %(date)s, %(time)s"),
                "needs_network_title": _("No network"),
                "needs_network": _(
                    "This needs the network: nothing was sent. Connect to the internet, then try again."
                ),
                "not_saved_title": _("Offline"),
                "not_saved": _("This page was not saved for reading offline. Connect to the internet to open it."),
            }
    config = {
        "words": words,
        "staticFiles": [static("ent/ent.css"), static("ent/pwa/icon-192.png"), static("ent/favicon.svg")],
        "stylesheet": static("ent/ent.css"),
        "icon": static("ent/pwa/icon-192.png"),
        "offlineList": reverse("notify:offline_list"),
        # Signing out goes to the network untouched, so that the browser itself
        # reads its Clear-Site-Data header.
        "passThrough": [reverse("account_logout")],
    }
    # Not user data: our own words and paths, as a JavaScript literal.
    return {"config_json": json.dumps(config, ensure_ascii=False, sort_keys=True), "version": WORKER_VERSION}
