"""The référent's decisions: approve (with an explicit signer change when the
package's signer changes), reject, withdraw, and the assignment to classes."""

import logging

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from ent.errors import FileRefused
from ent.files import ScanState
from ent.notify.api import notify
from media.actions.common import other_signer
from media.actions.repository import bump_fleets
from media.models import Assignment, Decision, Item, Version

log = logging.getLogger(__name__)


def approve(item, version, user, verdict, reason=""):
    if version is not None:
        version.review = Version.Review.APPROVED
        version.save(update_fields=["review"])
    item.status = Item.Status.APPROVED
    item.current_version = version
    item.save(update_fields=["status", "current_version"])
    Decision.objects.create(
        item=item,
        version=version,
        version_number=version.number if version else None,
        verdict=verdict,
        reason=reason,
        decided_by=user,
    )
    bump_fleets([item.id])
    _tell_author(item, "resource.approved", {"approved_by": str(user) if user else ""})


def _tell_author(item, kind, extra):
    if item.created_by_id:
        notify(
            [item.created_by_id],
            kind,
            obj=item,
            context={"title": item.title, "url": reverse("media:item", args=[item.id]), **extra},
        )


def signer_change_needed(item: Item, version: Version) -> Version | None:
    """Why approving this version changes a package's signer, if it does: the
    version it would replace (same item) or the other item's approved version."""
    if not version.apk_package:
        return None
    previous = item.current_version
    if previous is not None and previous.apk_cert_sha256 and previous.apk_cert_sha256 != version.apk_cert_sha256:
        return previous
    return other_signer(item, version.apk_package, version.apk_cert_sha256)


def do_approve(user, item: Item, version: Version | None, *, signer_change_reason: str = "") -> Item:
    """Approve an item (a link) or one of its clean versions; it becomes what
    pupils and tablets get. A version whose signer differs from the one approved
    for its package (this item's or another item's in the territory) needs the
    référent's explicit signer-change decision, with a reason, recorded."""
    original = item
    signer_change_reason = (signer_change_reason or "").strip()
    with transaction.atomic():
        item = Item.objects.select_for_update(of=("self",)).select_related("school", "current_version").get(pk=item.pk)
        if item.has_file:
            if version is None or version.item_id != item.id:
                raise FileRefused(_("Choose the version to approve."))
            version = Version.objects.select_for_update().get(pk=version.pk)
            if version.scan != ScanState.OFFERED:
                raise FileRefused(_("This version has not passed the virus scan: it cannot be approved."))
            if version.review == Version.Review.APPROVED and item.current_version_id == version.id:
                raise FileRefused(_("This version is already approved."))
        else:
            version = None
            if item.status == Item.Status.APPROVED:
                raise FileRefused(_("This resource is already approved."))
        replaced = signer_change_needed(item, version) if version is not None else None
        if replaced is not None:
            if not signer_change_reason:
                raise FileRefused(
                    _(
                        "%(package)s is already approved with another signer (%(old)s; this one: %(new)s). "
                        "Approve only as a deliberate signer change, with a reason."
                    )
                    % {"package": version.apk_package, "old": replaced.apk_cert_sha256, "new": version.apk_cert_sha256}
                )
            Decision.objects.create(
                item=item,
                version=version,
                version_number=version.number,
                verdict=Decision.Verdict.SIGNER_CHANGE,
                reason=(
                    f"{signer_change_reason[:1500]}\n{version.apk_package}: "
                    f"{replaced.apk_cert_sha256} → {version.apk_cert_sha256}"
                ),
                decided_by=user,
            )
        approve(item, version, user, Decision.Verdict.APPROVED)
    original.refresh_from_db()
    return item


def do_reject(user, item: Item, version: Version | None, reason: str) -> Item:
    reason = (reason or "").strip()
    if not reason:
        raise FileRefused(_("Give a reason: the teacher will read it."))
    original = item
    with transaction.atomic():
        item = Item.objects.select_for_update().get(pk=item.pk)
        if version is not None:
            version = Version.objects.select_for_update().get(pk=version.pk, item=item)
            version.review = Version.Review.REJECTED
            version.save(update_fields=["review"])
        # Rejecting an update keeps the approved version on offer.
        if item.current_version_id is None or version is None:
            item.status = Item.Status.REJECTED
            item.save(update_fields=["status"])
            bump_fleets([item.id])
        Decision.objects.create(
            item=item,
            version=version,
            version_number=version.number if version else None,
            verdict=Decision.Verdict.REJECTED,
            reason=reason[:2000],
            decided_by=user,
        )
        _tell_author(item, "resource.rejected", {"reason": reason[:500], "rejected_by": str(user)})
    original.refresh_from_db()
    return item


def do_withdraw(user, item: Item, reason: str = "") -> Item:
    """Withdraw at once: families and tablets lose it on their next request."""
    original = item
    with transaction.atomic():
        item = Item.objects.select_for_update().get(pk=item.pk)
        if item.status == Item.Status.WITHDRAWN:
            raise FileRefused(_("This resource is already withdrawn."))
        item.status = Item.Status.WITHDRAWN
        item.save(update_fields=["status"])
        Decision.objects.create(
            item=item,
            version=item.current_version,
            version_number=item.current_version.number if item.current_version_id else None,
            verdict=Decision.Verdict.WITHDRAWN,
            reason=(reason or "").strip()[:2000],
            decided_by=user,
        )
        bump_fleets([item.id])
    original.refresh_from_db()
    return item


def do_assign(user, item: Item, classes, groups) -> int:
    """Assign an approved item to classes and groups of its school (kept in sync:
    what is not listed is unassigned)."""
    if item.status != Item.Status.APPROVED:
        raise FileRefused(_("Only an approved resource can be assigned."))
    if any(c.school_id != item.school_id for c in classes) or any(g.school_id != item.school_id for g in groups):
        raise FileRefused(_("A resource can only be assigned within its school."))
    with transaction.atomic():
        item.assignments.exclude(school_class__in=classes).filter(group__isnull=True).delete()
        item.assignments.exclude(group__in=groups).filter(school_class__isnull=True).delete()
        have_c = set(item.assignments.filter(school_class__isnull=False).values_list("school_class_id", flat=True))
        have_g = set(item.assignments.filter(group__isnull=False).values_list("group_id", flat=True))
        new = [Assignment(item=item, school_class=c, assigned_by=user) for c in classes if c.id not in have_c]
        new += [Assignment(item=item, group=g, assigned_by=user) for g in groups if g.id not in have_g]
        Assignment.objects.bulk_create(new)
    return len(new)
