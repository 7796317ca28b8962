"""Who may see which personal token: its owner only; a revoked one is gone."""

import hashlib

from django.http import Http404

from ent.api.models import PersonalToken
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


def token_for_secret(secret: str) -> PersonalToken | None:
    """The live token this secret opens, with its active owner, else None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = (
        PersonalToken.objects.filter(secret_hash=secret_hash(secret), revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token
