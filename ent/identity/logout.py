"""Single logout with the IdP a person signed in through (issue 19, item 3).

- At sign-in (ent.identity.providers) what the IdP's logout needs is kept in the
  session, first as *pending*: a refused or queued identity never signs anyone
  in, and a later password sign-in in the same browser must not log out of an
  IdP. It becomes the session's own only when allauth signs in that very
  identity (`user_logged_in` with its `sociallogin`, after the MFA stage too).
- Signing out of the ENT ends the ENT session first (allauth's LogoutView), then
  sends the browser to the IdP: a SAML LogoutRequest (NameID + SessionIndex) to
  its SingleLogoutService, or OpenID RP-initiated logout (end_session_endpoint
  with id_token_hint and post_logout_redirect_uri). The IdP sends the browser
  back to allauth's SAML SLS view or to the login page.
- An IdP without a logout endpoint, or one that cannot be reached: the ENT
  session is ended all the same, and the IdP's is left as it is (logged).
- The other way, an OpenID IdP's back-channel logout (ent.identity.backchannel)
  ends the ENT sessions its sign-in opened: at sign-in the session key is kept
  with the ID token's `sid` and `sub` (ent.identity.models.OidcSignIn).
"""

import base64
import json
import logging

from allauth.core import context
from django.core.cache import cache
from django.utils.http import urlencode

log = logging.getLogger("ent.identity")

SESSION_KEY = "ent_identity_signed_in_through"
PENDING_KEY = "ent_identity_pending_sign_in"
# An OpenID IdP's configuration is read at most once an hour per IdP for logouts.
END_SESSION_CACHE_SECONDS = 3600


def remember_sign_in(request, sociallogin, logout_data: dict, *, acr: list) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    session[PENDING_KEY] = {
        "provider": sociallogin.account.provider,
        "uid": sociallogin.account.uid,
        "acr": [str(a) for a in acr],
        **logout_data,
    }


def pending_sign_in(request, sociallogin) -> dict | None:
    """What the IdP said about the sign-in now being completed, if it is this one."""
    pending = request.session.get(PENDING_KEY)
    if not pending or sociallogin is None:
        return None
    if (pending.get("provider"), pending.get("uid")) != (sociallogin.account.provider, sociallogin.account.uid):
        return None
    return pending


def on_user_logged_in(sender, request, user, sociallogin=None, **kwargs):
    session = getattr(request, "session", None)
    if session is None:
        return
    signed_in = pending_sign_in(request, sociallogin)
    session.pop(PENDING_KEY, None)
    if signed_in is None:
        session.pop(SESSION_KEY, None)
        return
    session[SESSION_KEY] = signed_in
    if signed_in.get("kind") == "oidc" and signed_in.get("sub"):
        from ent.identity import actions

        if not session.session_key:
            session.save()
        actions.do_record_oidc_sign_in(
            signed_in.get("app"),
            user,
            sub=signed_in.get("sub"),
            sid=signed_in.get("sid"),
            session_key=session.session_key,
        )


def on_user_logged_out(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        from ent.identity import actions

        actions.do_forget_oidc_sign_in(session.session_key)


# --- The raw ID token -----------------------------------------------------------


def keep_id_token(response, *args, **kwargs):
    """requests response hook (ent.identity.adapter.get_requests_session):
    allauth decodes the token endpoint's ID token and drops the compact form,
    which the IdP's logout wants back as id_token_hint."""
    request = context.request
    if request is None or "json" not in response.headers.get("content-type", ""):
        return
    try:
        token = response.json().get("id_token")
    except (ValueError, AttributeError):
        return
    if isinstance(token, str):
        request.ent_raw_id_tokens = [*getattr(request, "ent_raw_id_tokens", []), token]


def _payload(token: str):
    try:
        part = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        return None


def raw_id_token_of(request, claims) -> str | None:
    """The compact ID token whose claims allauth verified, among those seen
    on this request (only a token with exactly those claims is kept)."""
    if not claims:
        return None
    for token in getattr(request, "ent_raw_id_tokens", []):
        if _payload(token) == claims:
            return token
    return None


# --- Logging out at the IdP ----------------------------------------------------------


def idp_logout_url(request, return_to: str) -> str | None:
    """Where to send the browser to end the IdP session this ENT session came
    from, or None (a password sign-in, an IdP without single logout)."""
    session = getattr(request, "session", None)
    signed_in = session.get(SESSION_KEY) if session is not None else None
    if not signed_in:
        return None
    from allauth.socialaccount.models import SocialApp

    app = SocialApp.objects.filter(pk=signed_in.get("app")).first()
    if app is None:
        return None
    try:
        if signed_in.get("kind") == "saml":
            return _saml_logout_url(request, app, signed_in, return_to)
        if signed_in.get("kind") == "oidc":
            return _oidc_logout_url(request, app, signed_in, return_to)
    except Exception:  # the IdP's trouble must never keep anyone signed in here
        log.warning("single logout not started: app=%s", app.pk, exc_info=True)
    return None


def _saml_logout_url(request, app, signed_in, return_to):
    from allauth.socialaccount.providers.saml.utils import build_auth
    from onelogin.saml2.errors import OneLogin_Saml2_Error

    auth = build_auth(request, app.get_provider(request))
    try:
        url = auth.logout(
            return_to=request.build_absolute_uri(return_to),
            name_id=signed_in.get("name_id"),
            session_index=signed_in.get("session_index"),
            nq=signed_in.get("nq"),
            name_id_format=signed_in.get("name_id_format"),
            spnq=signed_in.get("spnq"),
        )
    except OneLogin_Saml2_Error:
        log.info("SAML IdP without single logout: app=%s", app.pk)
        return None
    log.info("SAML single logout sent: app=%s", app.pk)
    return url


def end_session_endpoint(request, app) -> str | None:
    key = f"ent.identity.end_session:{app.pk}:{app.settings.get('server_url', '')}"
    found = cache.get(key)
    if found is None:
        provider = app.get_provider(request)
        found = provider.get_oauth2_adapter(request).openid_config.get("end_session_endpoint") or ""
        cache.set(key, found, END_SESSION_CACHE_SECONDS)
    return found or None


def _oidc_logout_url(request, app, signed_in, return_to):
    endpoint = end_session_endpoint(request, app)
    if not endpoint:
        log.info("OpenID IdP without end_session_endpoint: app=%s", app.pk)
        return None
    params = {"client_id": app.client_id, "post_logout_redirect_uri": request.build_absolute_uri(return_to)}
    if signed_in.get("id_token"):
        params["id_token_hint"] = signed_in["id_token"]
    log.info("OpenID single logout sent: app=%s", app.pk)
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"
