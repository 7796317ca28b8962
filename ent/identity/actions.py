"""Changes of state for federated sign-in: linking an external identity to a
person (automatically on an exact match, or by the office), queueing the
others, unlinking. Each one is in the audit log."""

import logging

from allauth.socialaccount.models import SocialAccount
from django.db import IntegrityError, transaction
from django.utils import timezone

from ent.directory.models import AuditEntry, User
from ent.identity.matching import Match
from ent.identity.models import IdentityProvider, PendingLink

log = logging.getLogger("ent.identity")


class AlreadyLinked(Exception):
    """The external identity (or this person, for this IdP) is linked already."""


def _audit(action, *, actor=None, target=None, school=None, **details):
    AuditEntry.objects.create(action=action, actor=actor, target=target, school=school, details=details)


def _school_of(person):
    ids = sorted(person.roles.school_ids)
    if not ids:
        return None
    from ent.directory.models import School

    return School.objects.filter(id=ids[0]).first()


def do_link_on_first_sign_in(request, sociallogin, idp: IdentityProvider, match: Match) -> None:
    """Connect the identity to the one person it names (allauth saves the
    SocialAccount), and log both the link and the first sign-in."""
    person = match.person
    with transaction.atomic():
        sociallogin.connect(request, person)
        # A queued entry for this identity is answered by the match itself.
        PendingLink.objects.waiting().filter(provider=idp, uid=sociallogin.account.uid).update(
            status=PendingLink.Status.LINKED, resolved_at=timezone.now(), linked_user=person
        )
        school = match.school or _school_of(person)
        _audit("idp_link", target=person, school=school, provider=idp.label, how="automatic", profile=match.profile)
        _audit("idp_first_sign_in", target=person, school=school, provider=idp.label)
    log.info("identity linked on first sign-in: idp=%s user=%s", idp.id, person.id)


def do_queue_identity(idp: IdentityProvider, uid: str, attrs: dict, match: Match) -> PendingLink:
    """Keep an identity that names nobody or several people for the office.
    Signing in again refreshes the same entry instead of piling up new ones."""
    reason = PendingLink.Reason.SEVERAL if len(match.candidates) > 1 else PendingLink.Reason.NONE
    stored = {**attrs, "_names": match.names}
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                link, created = PendingLink.objects.select_for_update().get_or_create(
                    provider=idp,
                    uid=uid,
                    status=PendingLink.Status.PENDING,
                    defaults={"profile": match.profile, "attributes": stored, "school": match.school, "reason": reason},
                )
                if not created:
                    link.attributes, link.school, link.reason = stored, match.school, reason
                    link.profile, link.last_seen_at = match.profile, now
                    link.save(update_fields=["attributes", "school", "reason", "profile", "last_seen_at"])
                link.candidates.set(match.candidates)
                if created:
                    _audit("idp_link_queued", school=match.school, provider=idp.label, reason=reason, uid=uid)
            break
        except IntegrityError:
            # Two first sign-ins at once: the other one created the row.
            continue
    log.info("identity queued for the office: idp=%s reason=%s", idp.id, reason)
    return link


def do_refuse_sign_in(idp: IdentityProvider | None, why: str, *, target=None, **details) -> None:
    """A refused external sign-in leaves only a log line and an audit entry."""
    with transaction.atomic():
        _audit("idp_sign_in_refused", target=target, provider=idp.label if idp else "", why=why, **details)
    log.warning("external sign-in refused: idp=%s why=%s %s", idp.id if idp else None, why, details)


def do_link_pending(link_id: int, person: User, *, by: User) -> SocialAccount:
    """The office links a queued identity to the person it chose."""
    with transaction.atomic():
        link = PendingLink.objects.select_for_update().select_related("provider__app").get(id=link_id)
        if link.status != PendingLink.Status.PENDING:
            raise AlreadyLinked()
        provider_id = link.provider.app.provider_id or link.provider.app.provider
        if SocialAccount.objects.filter(provider=provider_id, uid=link.uid).exists():
            raise AlreadyLinked()
        if SocialAccount.objects.filter(provider=provider_id, user=person).exists():
            raise AlreadyLinked()
        attrs = {k: v for k, v in link.attributes.items() if k != "_names"}
        account = SocialAccount.objects.create(user=person, provider=provider_id, uid=link.uid, extra_data=attrs)
        link.status, link.resolved_at, link.resolved_by, link.linked_user = (
            PendingLink.Status.LINKED,
            timezone.now(),
            by,
            person,
        )
        link.save(update_fields=["status", "resolved_at", "resolved_by", "linked_user"])
        _audit("idp_link", actor=by, target=person, school=link.school, provider=link.provider.label, how="office")
    return account


def do_dismiss_pending(link_id: int, *, by: User) -> None:
    with transaction.atomic():
        link = PendingLink.objects.select_for_update().select_related("provider").get(id=link_id)
        if link.status != PendingLink.Status.PENDING:
            return
        link.status, link.resolved_at, link.resolved_by = PendingLink.Status.DISMISSED, timezone.now(), by
        link.save(update_fields=["status", "resolved_at", "resolved_by"])
        _audit("idp_link_dismissed", actor=by, school=link.school, provider=link.provider.label, uid=link.uid)


def do_unlink(account_id: int, *, by: User) -> None:
    """Remove a person's link to an external identity: their next sign-in
    through that IdP is matched (or queued) again. A local password stays."""
    with transaction.atomic():
        account = SocialAccount.objects.select_for_update().select_related("user").filter(id=account_id).first()
        if account is None:
            return
        person = account.user
        provider = account.provider
        account.delete()
        _audit("idp_unlink", actor=by, target=person, school=_school_of(person), provider=provider)


def do_remember_subject(client, user, sub: str) -> str:
    """Keep the pseudonymous subject an app knows this person by (idempotent)."""
    from ent.identity.models import PairwiseSubject

    try:
        with transaction.atomic():
            PairwiseSubject.objects.get_or_create(client=client, user=user, defaults={"sub": sub})
    except IntegrityError:
        pass  # the same row, written by a concurrent request
    return sub


# --- OpenID back-channel logout (ent.identity.backchannel) ---------------------------


def do_record_oidc_sign_in(app_id: int, user, *, sub: str, sid: str, session_key: str) -> None:
    """Remember which ENT session this OpenID sign-in opened, so that the IdP's
    back-channel logout can end it. Rows older than the longest session are
    pruned on the way: their sessions are over."""
    from datetime import timedelta

    from django.conf import settings

    from ent.identity.models import OidcSignIn

    idp = IdentityProvider.objects.filter(app_id=app_id).first()
    if idp is None or not sub or not session_key:
        return
    with transaction.atomic():
        oldest = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
        OidcSignIn.objects.filter(created_at__lt=oldest).delete()
        OidcSignIn.objects.create(
            provider=idp, user=user, sub=sub[:255], sid=(sid or "")[:255], session_key=session_key
        )


def do_forget_oidc_sign_in(session_key: str) -> None:
    """The session ended here (logout): nothing left for the IdP to end."""
    from ent.identity.models import OidcSignIn

    if session_key:
        OidcSignIn.objects.filter(session_key=session_key).delete()


def do_backchannel_logout(idp: IdentityProvider, *, sid: str | None, sub: str | None) -> int:
    """End the ENT sessions the IdP's ended sign-in opened: with `sid`, only
    that sign-in's (and only if `sub`, when given, is the same person); with
    only `sub`, that person's sessions that came through this IdP. Their
    sockets close too (ent.directory.sessions). Returns how many sessions."""
    from ent.directory import sessions
    from ent.identity.models import OidcSignIn

    with transaction.atomic():
        rows = OidcSignIn.objects.select_for_update().filter(provider=idp).select_related("user")
        rows = rows.filter(sid=sid) if sid else rows.filter(sub=sub)
        if sid and sub:
            rows = rows.filter(sub=sub)
        rows = list(rows)
        if not rows:
            log.info("back-channel logout matched no session: idp=%s", idp.id)
            return 0
        sessions.end_sessions_by_key([row.session_key for row in rows], reason=sessions.Reason.LOGOUT)
        OidcSignIn.objects.filter(id__in=[row.id for row in rows]).delete()
        by_person = {}
        for row in rows:
            by_person.setdefault(row.user_id, []).append(row)
        for person_rows in by_person.values():
            person = person_rows[0].user
            _audit(
                "idp_backchannel_logout",
                target=person,
                school=_school_of(person),
                provider=idp.label,
                sessions=len(person_rows),
                by="sid" if sid else "sub",
            )
    log.info("back-channel logout: idp=%s sessions=%s", idp.id, len(rows))
    return len(rows)
