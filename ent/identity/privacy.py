"""Federated sign-in's part of a person's data export and of the retention purges
(hooks called by ent.directory.privacy; see its docstring for the contract).

Export: for the person (children sign in themselves: their links are in their
own export), each external identity linked to them (which provider, the
identifier it asserts, when linked, last used) and each school app that knows
them by a pseudonym. Tokens issued to apps are secrets, not data about the
person: never exported.

Purge: the office's queue of identities to link keeps what an IdP asserted
(names, national ids): a resolved or abandoned entry older than `cutoff` goes.
"""

import logging

from allauth.socialaccount.models import SocialAccount
from django.db import transaction
from django.db.models import Q

from ent.identity.models import PairwiseSubject, PendingLink

log = logging.getLogger(__name__)


def _iso(value):
    return value.isoformat() if value else None


def export(user, children) -> dict:
    accounts = SocialAccount.objects.filter(user=user).order_by("pk")
    subjects = PairwiseSubject.objects.filter(user=user).select_related("client").order_by("pk")
    return {
        "external_identities": [
            {
                "provider": account.provider,
                "identifier": account.uid,
                "linked_at": _iso(account.date_joined),
                "last_used_at": _iso(account.last_login),
            }
            for account in accounts
        ],
        "school_apps": [{"app": subject.client.name} for subject in subjects],
    }


def purge(cutoff, dry_run) -> int:
    """Delete queue entries resolved before `cutoff`, or still waiting but not
    seen since then (the person never came back). Idempotent."""
    old = PendingLink.objects.filter(
        Q(status=PendingLink.Status.PENDING, last_seen_at__lt=cutoff)
        | (~Q(status=PendingLink.Status.PENDING) & Q(resolved_at__lt=cutoff))
    )
    count = old.count()
    if not dry_run and count:
        with transaction.atomic():
            old.delete()
    log.info("purge identities to link%s: %s", " (dry run)" if dry_run else "", count)
    return count
