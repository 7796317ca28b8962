"""Signing in at a school (issue #25): who is the client, how many failures we
accept, and how long a session lasts.

- The client address comes from X-Forwarded-For only as far as our own proxies
  wrote it (TRUSTED_PROXY_COUNT); a malformed header never raises.
- Failed sign-ins are counted per account (any address), per address+account and
  per address. A school's pupils all come from one public address, so successes
  are never counted against it, and the failures of an account that then signs
  in correctly from the same address (a typo) are forgiven: what remains at an
  address is failures that never turned into a sign-in, which is what credential
  stuffing looks like. Past LOGIN_FAILED_PER_ADDRESS_MINUTE such failures in a
  minute the address is slowed (refused until the minute has passed), past
  LOGIN_FAILED_PER_ADDRESS_15_MINUTES it is stopped, and the office sees it in
  the audit log.
- Sessions: "stay signed in on this device" (30 days, refreshed by use, off by
  default) or the shared-computer mode (browser-session cookie, short idle
  timeout), ticked on the login page or forced for the networks in
  SHARED_COMPUTER_NETWORKS.
"""

import hashlib
import ipaddress
import logging
import re
import time

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.views import login as allauth_login
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ent import pagecache

log = logging.getLogger(__name__)

ACCOUNT_WINDOW = 15 * 60
ADDRESS_ACCOUNT_WINDOW = 5 * 60
LOCK_SECONDS = 5


# Client address ------------------------------------------------------------


def _valid_ip(value: str) -> str | None:
    value = value.strip().strip("[]")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The address our own proxies saw (the last TRUSTED_PROXY_COUNT entries of
    X-Forwarded-For are theirs), else the socket's. A header that is too short or
    not an address (a client's forgery, a misconfigured proxy) falls back to the
    nearest entry a trusted proxy wrote, then to REMOTE_ADDR: never an error."""
    count = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    remote = _valid_ip(request.META.get("REMOTE_ADDR") or "") or "0.0.0.0"  # noqa: S104 (a key, not a bind)
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count <= 0 or not header:
        return remote
    parts = header.split(",")
    ours = parts[-count:]  # what our proxies appended, nearest last
    if len(parts) >= count:
        ip = _valid_ip(ours[0])
        if ip:
            return ip
    for part in reversed(ours):
        ip = _valid_ip(part)
        if ip:
            return ip
    return remote


def on_shared_network(request) -> bool:
    networks = _shared_networks()
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in net for net in networks)


_networks_cache: dict[tuple, list] = {}


def _shared_networks():
    raw = tuple(settings.SHARED_COMPUTER_NETWORKS)
    if raw not in _networks_cache:
        _networks_cache[raw] = [ipaddress.ip_network(n, strict=False) for n in raw]
    return _networks_cache[raw]


# Failed sign-ins -------------------------------------------------------------


def _h(value: str) -> str:
    # Typed logins are never stored in clear in the cache.
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:24]


def _account_key(login):
    return f"signin:fail:acct:{_h(login)}"


def _address_key(ip):
    return f"signin:fail:addr:{ip}"


class _Lock:
    """A short cache lock (Redis SET NX) around a read-modify-write, so parallel
    attempts from one address cannot each see the count before the others."""

    def __init__(self, key):
        self.key = key + ":lock"

    def __enter__(self):
        deadline = time.monotonic() + 1
        while not cache.add(self.key, 1, LOCK_SECONDS) and time.monotonic() < deadline:
            time.sleep(0.005)
        return self

    def __exit__(self, *exc):
        cache.delete(self.key)


def _recent(stamps, now, window):
    return [t for t in stamps if t > now - window]


class Refusal(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


def check_attempt(request, login: str) -> None:
    """Raise Refusal before the password is even checked (it costs ~36 ms of CPU)."""
    now = time.time()
    ip = client_ip(request)
    found = cache.get_many([_account_key(login), _address_key(ip)])
    # record_success reads the same two keys a few milliseconds later.
    request.ent_signin_counts = (login, found)
    account = found.get(_account_key(login)) or []
    if len(_recent(account, now, ACCOUNT_WINDOW)) >= settings.LOGIN_FAILED_PER_ACCOUNT:
        raise Refusal("too_many_login_attempts")
    address = found.get(_address_key(ip)) or {}
    mine = _recent(address.get(_h(login), []), now, ADDRESS_ACCOUNT_WINDOW)
    if len(mine) >= settings.LOGIN_FAILED_PER_ADDRESS_ACCOUNT:
        raise Refusal("too_many_login_attempts")
    stamps = [t for ts in address.values() for t in ts]
    if len(_recent(stamps, now, ACCOUNT_WINDOW)) >= settings.LOGIN_FAILED_PER_ADDRESS_15_MINUTES:
        raise Refusal("address_stopped")
    if len(_recent(stamps, now, 60)) >= settings.LOGIN_FAILED_PER_ADDRESS_MINUTE:
        raise Refusal("address_slowed")


def record_failure(request, login: str) -> None:
    now = time.time()
    ip = client_ip(request)
    key = _account_key(login)
    with _Lock(key):
        account = [*_recent(cache.get(key) or [], now, ACCOUNT_WINDOW), now]
        cache.set(key, account, ACCOUNT_WINDOW)
    key = _address_key(ip)
    with _Lock(key):
        address = {k: kept for k, ts in (cache.get(key) or {}).items() if (kept := _recent(ts, now, ACCOUNT_WINDOW))}
        address.setdefault(_h(login), []).append(now)
        cache.set(key, address, ACCOUNT_WINDOW)
    total = sum(map(len, address.values()))
    if total == settings.LOGIN_FAILED_PER_ADDRESS_15_MINUTES:
        _audit_stopped(ip, total, len(address))
    mine = len(_recent(address[_h(login)], now, ADDRESS_ACCOUNT_WINDOW))
    if len(account) == settings.LOGIN_FAILED_PER_ACCOUNT or mine == settings.LOGIN_FAILED_PER_ADDRESS_ACCOUNT:
        _audit_locked(login, ip)


def record_success(request, login: str, user) -> None:
    """The right password: this account's failures here were typos, not attacks."""
    account_key, key, mine = _account_key(login), _address_key(client_ip(request)), _h(login)
    # Most sign-ins follow no failure: no lock, no write, and the counts read by
    # check_attempt for this same attempt (one round trip less). A failure
    # recorded in between is not forgiven: the safe side.
    seen_login, found = getattr(request, "ent_signin_counts", (None, None))
    if seen_login != login or found is None:
        found = cache.get_many([account_key, key])
    if account_key in found:
        cache.delete(account_key)
    if mine not in found.get(key, {}):
        return
    with _Lock(key):
        address = cache.get(key)
        if address and address.pop(mine, None) is not None:
            cache.set(key, address, ACCOUNT_WINDOW)


def clear_account(user) -> None:
    """The office reset this person's access (new activation code, MFA reset):
    their lockout ends now, whatever address it came from."""
    for login in filter(None, {user.username, user.email}):
        cache.delete(_account_key(login))


def _audit_stopped(ip, failures, accounts):
    from ent.directory.models import AuditEntry

    log.warning("sign-in: address %s stopped after %s failed sign-ins on %s accounts", ip, failures, accounts)
    AuditEntry.objects.create(
        action=ADDRESS_STOPPED,
        details={"address": ip, "failures": failures, "accounts": accounts},
    )


def _audit_locked(login, ip):
    """A real account just got locked: its school's office sees it on the
    accounts page (and can end it with a new activation code)."""
    from django.db.models import Q

    from ent.directory.models import AuditEntry, User

    login = login.strip()
    user = User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login)).first() if login else None
    if user is not None:
        AuditEntry.objects.create(action=ACCOUNT_LOCKED, target=user, details={"address": ip})


ADDRESS_STOPPED = "signin.address_stopped"
ACCOUNT_LOCKED = "signin.locked"


# Login form and session policy --------------------------------------------

REMEMBER_KEY = "ent_remember"  # when the 30 days were last restarted
SHARED_KEY = "ent_shared_seen"  # shared computer: when the session was last used


class LoginForm(AllauthLoginForm):
    shared = forms.BooleanField(
        label=_("Shared computer (school room, library): sign me out after a few minutes without use"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shared_network = self.request is not None and on_shared_network(self.request)
        remember = self.fields["remember"]
        remember.label = _("Stay signed in on this device (only on your own phone or computer)")
        if self.shared_network:
            # A school room or public space: nothing to choose, nothing remembered.
            remember.widget = forms.HiddenInput()
            del self.fields["shared"]

    def clean(self):
        cleaned = super().clean()
        if self.shared_network or cleaned.get("shared"):
            cleaned["remember"] = False
        return cleaned

    def login(self, request, redirect_url=None):
        response = super().login(request, redirect_url)
        session = request.session
        now = int(time.time())
        if self.shared_network or self.cleaned_data.get("shared"):
            session.set_expiry(0)  # gone when the browser closes, and after the idle timeout
            session[SHARED_KEY] = now
        elif self.cleaned_data.get("remember"):
            session.set_expiry(settings.SESSION_REMEMBER_DAYS * 86400)
            session[REMEMBER_KEY] = now
        return response


class SessionPolicyMiddleware:
    """Ends a shared computer's session after SHARED_COMPUTER_IDLE_MINUTES without
    use; restarts a remembered session's 30 days once a day when it is used. Both
    write the session at most once a minute / a day, not at every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            now = int(time.time())
            seen = session.get(SHARED_KEY)
            if seen is not None:
                if now - seen > settings.SHARED_COMPUTER_IDLE_MINUTES * 60:
                    logout(request)
                    messages.info(
                        request,
                        gettext("You were signed out after a few minutes without use (shared computer)."),
                    )
                elif now - seen >= 60:
                    session[SHARED_KEY] = now
            restarted = session.get(REMEMBER_KEY)
            if restarted is not None and now - restarted >= 86400:
                session[REMEMBER_KEY] = now
                session.set_expiry(settings.SESSION_REMEMBER_DAYS * 86400)
        return self.get_response(request)


# The login page itself ------------------------------------------------------

LOGIN_PAGE_PREFIX = "signin:page:v2:"
LOGIN_PAGE_SCOPE = "login"
# What every form of the page carries: the CSRF token is the only part of the
# page that differs between two anonymous visitors.
_CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')
_CSRF_SLOT = b'name="csrfmiddlewaretoken" value="\x00csrf\x00"'


def _login_page_key(request) -> str:
    parts = [request.get_host(), str(request.is_secure()), get_language() or "", str(on_shared_network(request))]
    return LOGIN_PAGE_PREFIX + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _plain_visit(request) -> bool:
    """A first visit as the morning brings them: a GET without parameters from
    someone signed out, with nothing in their session and no message to show."""
    return (
        request.method == "GET"
        and not request.GET
        and not request.user.is_authenticated
        and not list(request.session.keys())
        and not len(messages.get_messages(request))
    )


@require_http_methods(["GET", "HEAD", "POST"])
def login_page(request, *args, **kwargs):
    """allauth's login view, its plain page kept for LOGIN_PAGE_CACHE_SECONDS.

    Why: every person of a territory opens this page on a Monday morning, and
    rendering it (base layout, form, passkey and IdP buttons) cost ~7 ms of CPU,
    more than the rest of the request. The page is the same for every signed-out
    visitor of a language and a network (shared computers or not) but for the
    CSRF token: it is stored with the token's place empty and served with the
    visitor's own token (get_token, which also sets their CSRF cookie). Anything
    else (a POST, ?next=, a message, a session with data, a signed-in visitor)
    goes to allauth's view as before. A page whose forms do not all carry the
    one token of its render is not stored. The page is kept under the "login"
    scope's version (ent/pagecache), which every write of an identity provider
    or its allauth app bumps (ent/identity/apps.py): one added, changed or removed
    shows on the next visit. Other methods are refused (allauth's form view took a
    PUT for a POST)."""
    ttl = settings.LOGIN_PAGE_CACHE_SECONDS
    if not ttl or not _plain_visit(request):
        return allauth_login(request, *args, **kwargs)
    key = _login_page_key(request)
    hit, versions = pagecache.versioned_get(key, [LOGIN_PAGE_SCOPE])
    if hit is not None:
        content, headers = hit
        token = get_token(request).encode()
        return HttpResponse(content.replace(_CSRF_SLOT, _CSRF_SLOT.replace(b"\x00csrf\x00", token)), headers=headers)
    response = allauth_login(request, *args, **kwargs)
    if hasattr(response, "render"):
        response.render()
    tokens = set(_CSRF_INPUT.findall(response.content)) if response.status_code == 200 else set()
    if len(tokens) == 1 and not response.cookies and response.get("Content-Type", "").startswith("text/html"):
        content = _CSRF_INPUT.sub(_CSRF_SLOT, response.content)
        pagecache.versioned_set(key, (content, dict(response.headers)), versions, ttl)
    return response
