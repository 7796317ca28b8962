"""Changes of personal tokens: create (the secret is returned once), revoke, note use;
and the socket's one-use tickets (ent/api/ws.py)."""

import datetime
import hashlib
import secrets

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from ent import pagecache
from ent.api import access
from ent.api.models import PersonalToken
from ent.directory import sessions
from ent.errors import EntError
from ent.notify import push

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


def credential_group(credential_name: str) -> str:
    """The channel layer group of the sockets opened with one credential. Keyed
    with the secret key, like the sessions' groups (ent/directory/sessions.py)."""
    return "apicred-" + salted_hmac("ent.api.credential.group", credential_name).hexdigest()[:40]


def do_revoke_token(user, token) -> None:
    # Immediate: its cached row is out of date now and again at commit (so the
    # next request reads the row, no longer live), and its open sockets are
    # told to close once the revocation is committed.
    with transaction.atomic():
        changed = PersonalToken.objects.filter(id=token.id, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if changed:
            pagecache.bump(access.token_scope(token.secret_hash))
            group = credential_group(f"pat:{token.id}")
            transaction.on_commit(
                lambda: push.send_to_groups(
                    {group: {"type": sessions.SESSION_ENDED, "reason": sessions.Reason.SIGNED_OUT}}
                )
            )


def do_note_token_use(token) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        PersonalToken.objects.filter(id=token.id).update(last_used_at=now)
        token.last_used_at = now
        # The cached row (ent/api/access.py) still holds the old stamp: without
        # this, every request after LAST_USED_PRECISION would write again.
        pagecache.bump(access.token_scope(token.secret_hash))


# The socket's tickets: for a client that cannot put its token in the
# Sec-WebSocket-Protocol header. One use, a few seconds, kept in the cache (Redis
# in production, shared by every web process) under a hash: the cache holds no
# usable secret.
TICKET_SECONDS = 30
TICKET_PREFIX = "entws_"


class TicketError(EntError):
    status_code = 503
    default_message = _("The live connection is unavailable for a moment: try again.")


def _ticket_key(ticket: str) -> str:
    return "ws-ticket:" + hashlib.sha256(ticket.encode()).hexdigest()


def do_issue_socket_ticket(credential_name: str, user_id: int) -> str:
    ticket = TICKET_PREFIX + secrets.token_urlsafe(32)
    if not cache.add(_ticket_key(ticket), {"credential": credential_name, "user": user_id}, TICKET_SECONDS):
        # The cache is down (its errors are ignored): a ticket that was not stored would never open.
        raise TicketError()
    return ticket


def do_redeem_socket_ticket(ticket: str) -> dict | None:
    """The ticket's {"credential", "user"} once; None if unknown, expired or used.
    Only one of two racing redemptions sees delete() succeed."""
    if not ticket.startswith(TICKET_PREFIX) or len(ticket) > 100:
        return None
    key = _ticket_key(ticket)
    value = cache.get(key)
    if not isinstance(value, dict) or not cache.delete(key):
        return None
    return value
