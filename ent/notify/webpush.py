"""Web Push: the fourth channel of ent.notify (after the feed, email and SMS).

Not to be confused with ent/notify/push.py, the live WebSocket updates of open
pages. This one reaches a phone or a browser that is closed, through the
browser vendor's push service (Google, Mozilla, Apple, Microsoft), with
pywebpush: the payload is encrypted for the subscription (RFC 8291, aes128gcm)
and the request signed with our VAPID key (RFC 8292).

What crosses the vendor's service says little ("Nouveau message", "Absence à
justifier — Léa") and a link; the details load when the person opens it, signed
in. Without both VAPID keys the channel is off (`enabled()`), and the pages say so.
"""

import base64
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from ent.errors import EntError

logger = logging.getLogger(__name__)

# The push services of the browsers people use. A subscription elsewhere is
# refused: an endpoint is a URL our workers will POST to, and must not become a
# way to make the ENT call an arbitrary host (SSRF).
KNOWN_PUSH_HOSTS = (
    "fcm.googleapis.com",  # Chrome, Edge on Android, Samsung Internet...
    "android.googleapis.com",
    "push.services.mozilla.com",  # Firefox (updates.push.services.mozilla.com)
    "push.apple.com",  # Safari (web.push.apple.com)
    "notify.windows.com",  # Edge on Windows (*.notify.windows.com)
)
ENDPOINT_MAX = 1000
TIMEOUT_SECONDS = 10


class InvalidPushSubscription(EntError):
    default_message = gettext_lazy("This push subscription is not valid.")


class PushError(Exception):
    """A push that did not go: no device left, the channel off, refused by the service."""


class PushTransientError(PushError):
    """The push service could not take it now (429, 5xx, network): try again later."""


@dataclass(frozen=True)
class Result:
    sent: int
    gone: list  # subscription ids the push service says no longer exist (404/410)


def enabled() -> bool:
    return bool(settings.WEBPUSH_VAPID_PRIVATE_KEY and settings.WEBPUSH_VAPID_PUBLIC_KEY)


def public_key() -> str:
    """The key browsers need to subscribe (PushManager applicationServerKey)."""
    return settings.WEBPUSH_VAPID_PUBLIC_KEY if enabled() else ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_keys() -> dict:
    """A fresh VAPID key pair, in the two forms the settings take."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"WEBPUSH_VAPID_PRIVATE_KEY": _b64(private), "WEBPUSH_VAPID_PUBLIC_KEY": _b64(public)}


def _host_allowed(host: str) -> bool:
    host = host.lower().rstrip(".")
    for allowed in (*KNOWN_PUSH_HOSTS, *settings.WEBPUSH_EXTRA_HOSTS):
        allowed = allowed.lower()
        if host == allowed or host.endswith("." + allowed):
            return True
    return False


def _b64_length(value, name: str, expected: int) -> str:
    if not isinstance(value, str) or not value or len(value) > 200:
        raise InvalidPushSubscription(_("The subscription's “%(name)s” key is missing.") % {"name": name})
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError:
        raise InvalidPushSubscription(_("The subscription's “%(name)s” key is not valid.") % {"name": name}) from None
    if len(raw) != expected:
        raise InvalidPushSubscription(_("The subscription's “%(name)s” key is not valid.") % {"name": name})
    return value


def check_subscription(data) -> dict:
    """The browser's PushSubscription.toJSON(), checked: an https endpoint of a known
    push service and keys of the right sizes (RFC 8291: a P-256 point, 16 bytes)."""
    if not isinstance(data, dict):
        raise InvalidPushSubscription()
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > ENDPOINT_MAX:
        raise InvalidPushSubscription(_("The subscription has no valid endpoint."))
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    extra = any(host == h or host.endswith("." + h) for h in settings.WEBPUSH_EXTRA_HOSTS)
    # Plain http only for a configured local push service (the tests' one).
    if parts.scheme != "https" and not (parts.scheme == "http" and extra):
        raise InvalidPushSubscription(_("The subscription has no valid endpoint."))
    if parts.username or parts.password or not _host_allowed(host):
        raise InvalidPushSubscription(_("This push service is not one we know: the subscription is refused."))
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise InvalidPushSubscription(_("The subscription's keys are missing."))
    return {
        "endpoint": endpoint,
        "p256dh": _b64_length(keys.get("p256dh"), "p256dh", 65),
        "auth": _b64_length(keys.get("auth"), "auth", 16),
    }


def payload(notification) -> dict:
    """The few words that cross the push service, in the site's language (as the
    emails), and where to go on a tap. Ids only; the link loads the rest, signed in."""
    from ent.notify import rendering

    kind = notification.kind_info
    with translation.override(settings.LANGUAGE_CODE):
        title = str(kind.push_text) if kind is not None else _("News from the school")
        child = rendering.child_label(notification)
        if child:
            title = _("%(title)s for %(child)s") % {"title": title, "child": child}
        return {
            "title": title,
            "body": _("Open the ENT to read it."),
            "url": notification.url or "/notifications/",
            # Same tag, same notification: a retried push replaces itself on the phone.
            "tag": f"ent-{notification.id}",
        }


_session = None


def _http():
    # One pooled session per process: pushes to one service reuse connections.
    global _session
    if _session is None:
        _session = requests.Session()
    return _session


def send(subscriptions, data: dict) -> Result:
    """Send one payload to each subscription. Returns how many went and which are
    gone (404/410: remove them). Raises PushTransientError when any push service
    asked to come back later (429, 5xx, network), after sending to the others: the
    caller retries, and the tag keeps a repeat from showing twice."""
    vapid = Vapid02.from_string(settings.WEBPUSH_VAPID_PRIVATE_KEY)
    body = json.dumps(data, ensure_ascii=False)
    sent, gone, transient = 0, [], []
    for sub in subscriptions:
        try:
            webpush(
                sub.subscription_info(),
                data=body,
                vapid_private_key=vapid,
                # A fresh dict each time: pywebpush fills in "aud" per push service.
                vapid_claims={"sub": settings.WEBPUSH_CONTACT},
                ttl=settings.WEBPUSH_TTL_SECONDS,
                timeout=TIMEOUT_SECONDS,
                headers={"Urgency": "normal"},
                requests_session=_http(),
            )
            sent += 1
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (404, 410):
                gone.append(sub.id)
            elif status is None or status == 429 or status >= 500:
                transient.append(f"{status}: {exc}"[:300])
            else:
                # 400/403/413: our request is wrong for this service; retrying will not help.
                logger.warning("web push refused by %s: %s", urlsplit(sub.endpoint).hostname, status)
        except requests.RequestException as exc:
            transient.append(f"{type(exc).__name__}: {exc}"[:300])
    result = Result(sent=sent, gone=gone)
    if transient:
        error = PushTransientError("; ".join(transient))
        error.result = result
        raise error
    return result
