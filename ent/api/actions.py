"""Changes of personal tokens: create (the secret is returned once), revoke, note use."""

import datetime
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ent.api import access
from ent.api.models import PersonalToken
from ent.errors import EntError

# A person rarely needs more; a cap keeps a looping script from piling up rows.
MAX_TOKENS_PER_PERSON = 20
# "Last used" is precise to this much: one UPDATE per token per interval, not one per request.
LAST_USED_PRECISION = datetime.timedelta(minutes=5)


class TokenError(EntError):
    default_message = _("This token could not be created.")


def do_create_token(user, name: str) -> tuple[PersonalToken, str]:
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise TokenError(_("Give the token a name of 1 to 80 characters, e.g. “Phone app”."))
    with transaction.atomic():
        if PersonalToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_TOKENS_PER_PERSON:
            raise TokenError(_("You already have 20 tokens: revoke one you no longer use first."))
        secret = access.TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = PersonalToken.objects.create(
            user=user, name=name, prefix=secret[: len(access.TOKEN_PREFIX) + 6], secret_hash=access.secret_hash(secret)
        )
    return token, secret


def do_revoke_token(user, token) -> None:
    # Immediate: the next request with it finds no live row.
    PersonalToken.objects.filter(id=token.id, user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def do_note_token_use(token) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        PersonalToken.objects.filter(id=token.id).update(last_used_at=now)
        token.last_used_at = now
