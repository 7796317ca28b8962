"""Who may see which personal token: its owner only; a revoked one is gone.
And, for the socket (ent/api/ws.py), whether a credential named "pat:<id>" or
"oidc:<id>" still opens the API, and as whom."""

import hashlib
from dataclasses import dataclass

from allauth.idp.oidc.models import Token
from django.conf import settings
from django.http import Http404

from ent import db_router, pagecache
from ent.api.models import PersonalToken
from ent.directory.auth_backends import CachedModelBackend
from ent.ids import int_id_or_404

# Every personal token starts with this: a leaked one is easy to recognise
# (secret scanners), and the API tells it from an OpenID access token at once.
TOKEN_PREFIX = "entpat_"  # noqa: S105 (a prefix, not a secret)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def tokens_of(user) -> list:
    """The person's live tokens, newest first (revoked ones are not listed)."""
    return list(PersonalToken.objects.filter(user=user, revoked_at__isnull=True))


def access_token(user, token_id) -> PersonalToken:
    token_id = int_id_or_404(token_id)
    token = PersonalToken.objects.filter(id=token_id, user=user, revoked_at__isnull=True).first()
    if token is None:
        raise Http404
    return token


# A personal token's row is kept in the cache under the version of its scope
# "pat:<secret hash>", which every write of the row bumps (revoking it, noting
# its use: ent/api/actions.py): a revoked token stops at its next request, as
# when it was read from the database each time (issue #23: that read and its
# query building were a third of the CPU of an API call).
TOKEN_SCOPE = "pat"  # noqa: S105 (a cache scope, not a secret)
_TOKEN_PREFIX = "apitoken:v1:"  # noqa: S105 (a cache key prefix)
# Its owner comes from the signed-in person's cache (the pages' one, with its
# invalidation on every save of the person): a blocked account stops at once.
_people = CachedModelBackend()


def token_scope(token_secret_hash: str) -> str:
    return pagecache.scope(TOKEN_SCOPE, token_secret_hash)


def token_for_secret(secret: str) -> PersonalToken | None:
    """The live token this secret opens, with its active owner, else None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    digest = secret_hash(secret)
    live = PersonalToken.objects.filter(secret_hash=digest, revoked_at__isnull=True)
    ttl = settings.AUTH_USER_CACHE_SECONDS
    if not ttl:
        token = live.select_related("user").first()
        return token if token is not None and token.user.is_active else None
    key = _TOKEN_PREFIX + digest
    token, versions = pagecache.versioned_get(key, [token_scope(digest)])
    if token is None:
        # From the primary: a row read from a lagging replica would be stored
        # under the fresh version and outlive a revocation (as the pages).
        with db_router.primary():
            token = live.first()
        if token is None:
            # Unknown secrets are not kept: a scanner would fill the cache.
            return None
        pagecache.versioned_set(key, token, versions, ttl)
    user = _people.get_user(token.user_id)  # None for a blocked or deleted account
    if user is None:
        return None
    token.user = user
    return token


# The OpenID scopes of the API (ent/api/auth.py asks for them on each request).
READ_SCOPE = "api"
WRITE_SCOPE = "api.write"


@dataclass(frozen=True)
class Credential:
    """A live credential of the API: whose, its name ("pat:<id>" / "oidc:<id>"), whether it may write."""

    user: object
    name: str
    can_write: bool


def openid_token_for_secret(secret: str):
    """The live OpenID access token this secret is, with the `api` scope, an
    app and an active owner, else None (what allauth's check asks, without a request)."""
    if not secret or secret.startswith(TOKEN_PREFIX) or len(secret) > 512:
        return None
    token = Token.objects.lookup(Token.Type.ACCESS_TOKEN, secret)
    if token is None or token.user_id is None or token.client_id is None:
        return None
    if not token.user.is_active or READ_SCOPE not in token.get_scopes():
        return None
    return token


def personal_credential(token: PersonalToken) -> Credential:
    return Credential(token.user, f"pat:{token.id}", True)


def openid_credential_for_secret(secret: str) -> Credential | None:
    token = openid_token_for_secret(secret)
    if token is None:
        return None
    return Credential(token.user, f"oidc:{token.pk}", WRITE_SCOPE in token.get_scopes())


def live_credential(name: str) -> Credential | None:
    """The credential of this name if it still opens the API now (not revoked,
    not expired, its owner active), else None. One indexed read."""
    kind, _sep, ident = (name or "").partition(":")
    if not ident.isdigit():
        return None
    if kind == "pat":
        personal = (
            PersonalToken.objects.filter(id=int(ident), revoked_at__isnull=True, user__is_active=True)
            .select_related("user")
            .first()
        )
        return personal_credential(personal) if personal is not None else None
    if kind == "oidc":
        token = (
            Token.objects.valid()
            .filter(pk=int(ident), type=Token.Type.ACCESS_TOKEN, user__is_active=True, client__isnull=False)
            .select_related("user")
            .first()
        )
        if token is None or READ_SCOPE not in token.get_scopes():
            return None
        return Credential(token.user, name, WRITE_SCOPE in token.get_scopes())
    return None


def credential_expiry(name: str):
    """When an OpenID access token expires (None for a personal token: it lives until revoked)."""
    kind, _sep, ident = (name or "").partition(":")
    if kind != "oidc" or not ident.isdigit():
        return None
    return Token.objects.filter(pk=int(ident)).values_list("expires_at", flat=True).first()
