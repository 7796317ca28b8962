"""Tablet fleets (classes mobiles): creating one, enrolling and revoking
tablets, the apps a fleet gets, and the manifest its tablets read."""

import logging
import secrets

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ent.errors import FileRefused
from media.actions.repository import refresh_repos_later
from media.models import Fleet, FleetItem, Item, Tablet, hash_token

log = logging.getLogger(__name__)


def do_create_fleet(user, school, name: str) -> Fleet:
    name = (name or "").strip()
    if not name:
        raise FileRefused(_("Give the fleet a name."))
    return Fleet.objects.create(school=school, name=name[:100])


def do_enrol_tablet(user, fleet: Fleet, label: str) -> tuple[Tablet, str]:
    """A new tablet and its device token, shown once (only its hash is kept)."""
    label = (label or "").strip() or _("Tablet %(n)s") % {"n": fleet.tablets.count() + 1}
    token = secrets.token_urlsafe(32)
    tablet = Tablet.objects.create(fleet=fleet, label=label[:100], token_hash=hash_token(token))
    return tablet, token


def do_revoke_tablet(user, tablet: Tablet) -> Tablet:
    if tablet.revoked_at is None:
        tablet.revoked_at = timezone.now()
        tablet.save(update_fields=["revoked_at"])
    return tablet


def do_set_fleet_item(user, fleet: Fleet, item: Item, *, mandatory: bool) -> FleetItem:
    if item.school_id != fleet.school_id or item.kind != Item.Kind.APK:
        raise FileRefused(_("Only Android apps of the same school can go on its tablets."))
    if item.status != Item.Status.APPROVED:
        raise FileRefused(_("Only an approved app can go on the tablets."))
    with transaction.atomic():
        Fleet.objects.select_for_update().filter(id=fleet.id).values_list("id", flat=True).first()
        version = item.current_version
        if version is not None and not version.apk_fdroid_readable:
            raise FileRefused(
                _(
                    "The tablets' F-Droid repository cannot verify this app's signature (a certificate chain "
                    "signed with jarsigner): ask the publisher for an APK signed with apksigner."
                )
            )
        if version is not None and version.apk_package:
            clash = (
                FleetItem.objects.filter(fleet=fleet, item__current_version__apk_package=version.apk_package)
                .exclude(item=item)
                .select_related("item__current_version")
                .first()
            )
            if clash is not None:
                raise FileRefused(
                    _(
                        "This fleet already has %(package)s (“%(title)s”, signer %(old)s): a tablet can hold only "
                        "one. Remove it from the fleet first."
                    )
                    % {
                        "package": version.apk_package,
                        "title": clash.item.title,
                        "old": clash.item.current_version.apk_cert_sha256,
                    }
                )
        link, _created = FleetItem.objects.update_or_create(fleet=fleet, item=item, defaults={"mandatory": mandatory})
        Fleet.objects.filter(id=fleet.id).update(revision=F("revision") + 1)
        if fleet.repo_built_at is not None:
            refresh_repos_later([fleet.id])
    return link


def do_remove_fleet_item(user, fleet: Fleet, item: Item) -> None:
    with transaction.atomic():
        FleetItem.objects.filter(fleet=fleet, item=item).delete()
        Fleet.objects.filter(id=fleet.id).update(revision=F("revision") + 1)
        if fleet.repo_built_at is not None:
            refresh_repos_later([fleet.id])


def build_manifest(fleet: Fleet, base_url: str) -> dict:
    apps = []
    for link in fleet.offered_apps():
        v = link.item.current_version
        apps.append(
            {
                "id": link.item_id,
                "title": link.item.title,
                "package": v.apk_package,
                "version_code": v.apk_version_code,
                "version_name": v.apk_version_name,
                "sha256": v.sha256,
                "size": v.size,
                "mandatory": link.mandatory,
                # Our URL, not a presigned one: it stays valid as long as the ETag does.
                "url": base_url + reverse("media:tablet_apk", args=[v.id]),
            }
        )
    return {"fleet": fleet.name, "revision": fleet.revision, "apps": apps}
