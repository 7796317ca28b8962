"""OpenID Connect Back-Channel Logout 1.0, relying party side: an IdP tells the
ENT, server to server, that a sign-in of its own has ended, with a signed
`logout_token` (a JWT). Checked as the spec's §2.6 says, then the ENT sessions
that sign-in opened are ended (ent.identity.actions.do_backchannel_logout).

allauth 65.21 has no endpoint for it, nor does it keep the ID token's `sid`:
ent.identity.providers keeps (`sid`, `sub`) at sign-in, and this module checks
the token with PyJWT (the library allauth itself uses), against the IdP's
published keys (`jwks_uri`) and issuer."""

import hashlib
import logging
import time

import jwt
from django.core.cache import cache

log = logging.getLogger("ent.identity")

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# Asymmetric only: a client secret shared with the IdP must not sign logouts
# (anyone holding it could end sessions), and "none" is never accepted.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
# A logout token is sent the moment the IdP's session ends: older is a replay.
MAX_AGE_SECONDS = 300
LEEWAY_SECONDS = 30
CONFIG_CACHE_SECONDS = 3600
# After an unknown key id the IdP's keys are fetched again (a rotation), at
# most once a minute per IdP: an unsigned caller must not make us hammer it.
JWKS_REFETCH_SECONDS = 60


class InvalidLogoutToken(Exception):
    """The token is refused; the message goes to the IdP (in English, spec §2.8)."""


def _config_key(app, what):
    return f"ent.identity.backchannel.{what}:{app.pk}:{app.settings.get('server_url', '')}"


def idp_configuration(request, app) -> dict:
    """The IdP's issuer and jwks_uri, read from its discovery document at most
    once an hour."""
    key = _config_key(app, "config")
    found = cache.get(key)
    if found is None:
        config = app.get_provider(request).get_oauth2_adapter(request).openid_config
        found = {"issuer": config.get("issuer") or "", "jwks_uri": config.get("jwks_uri") or ""}
        cache.set(key, found, CONFIG_CACHE_SECONDS)
    return found


def _fetch_jwks(jwks_uri) -> dict:
    from allauth.socialaccount.adapter import get_adapter

    with get_adapter().get_requests_session() as session:
        response = session.get(jwks_uri, timeout=5)
        response.raise_for_status()
        return response.json()


def _signing_key(app, jwks_uri, kid):
    key = _config_key(app, "jwks")
    jwks = cache.get(key)
    fetched = False
    if jwks is None:
        jwks, fetched = _fetch_jwks(jwks_uri), True
        cache.set(key, jwks, CONFIG_CACHE_SECONDS)
    for attempt in range(2):
        try:
            keys = [k for k in jwt.PyJWKSet.from_dict(jwks).keys if k.public_key_use in (None, "sig")]
        except jwt.PyJWKSetError:  # no usable key at all: as good as the wrong ones
            keys = []
        match = [k for k in keys if kid is None or k.key_id == kid]
        if match:
            return match[0]
        if attempt or fetched or not cache.add(_config_key(app, "jwks-refetch"), 1, JWKS_REFETCH_SECONDS):
            break
        jwks = _fetch_jwks(jwks_uri)
        cache.set(key, jwks, CONFIG_CACHE_SECONDS)
    raise InvalidLogoutToken("no key of the issuer matches the token")


def verify_logout_token(request, app, token: str) -> dict:
    """The claims of a valid logout token for this IdP's app, or
    InvalidLogoutToken. The jti is remembered last, so a refused token does not
    use up its id."""
    if not token or not isinstance(token, str):
        raise InvalidLogoutToken("logout_token is missing")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as e:
        raise InvalidLogoutToken("logout_token is not a JWT") from e
    if header.get("alg") not in ALGORITHMS:
        raise InvalidLogoutToken("unsupported signing algorithm")
    try:
        config = idp_configuration(request, app)
        key = _signing_key(app, config["jwks_uri"], header.get("kid"))
    except InvalidLogoutToken:
        raise
    except Exception as e:  # the IdP's keys could not be read: nothing is ended
        log.warning("back-channel logout: keys of app=%s not readable", app.pk, exc_info=True)
        raise InvalidLogoutToken("the issuer's keys could not be read") from e
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[header["alg"]],
            audience=app.client_id,
            issuer=config["issuer"],
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "iat", "jti"]},
        )
    except jwt.PyJWTError as e:  # also a key of another type than the header's alg
        raise InvalidLogoutToken(f"logout_token refused: {e}") from e
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(LOGOUT_EVENT), dict):
        raise InvalidLogoutToken("events has no back-channel logout event")
    if "nonce" in claims:
        raise InvalidLogoutToken("a logout token must not contain a nonce")
    sid, sub = claims.get("sid"), claims.get("sub")
    if not (isinstance(sid, str) and sid) and not (isinstance(sub, str) and sub):
        raise InvalidLogoutToken("neither sid nor sub")
    if (sid is not None and not isinstance(sid, str)) or (sub is not None and not isinstance(sub, str)):
        raise InvalidLogoutToken("sid and sub must be strings")
    iat = claims["iat"]
    if not isinstance(iat, int | float) or iat < time.time() - MAX_AGE_SECONDS:
        raise InvalidLogoutToken("logout_token is too old")
    jti = claims["jti"]
    if not isinstance(jti, str) or not jti:
        raise InvalidLogoutToken("jti must be a string")
    seen_key = f"ent.identity.backchannel.jti:{app.pk}:{hashlib.sha256(jti.encode()).hexdigest()}"
    if not cache.add(seen_key, 1, MAX_AGE_SECONDS + 2 * LEEWAY_SECONDS):
        raise InvalidLogoutToken("logout_token was already used")
    return claims
