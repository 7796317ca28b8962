"""Library items and their files: proposing (a link, or a file streamed to
the store), new versions, icons and screenshots, deleting.

The object is written first, outside any transaction; the rows are then written
in one transaction, and if that fails the object is deleted. So there is never a
row without its object, and an object without a row only if the process dies in
between, which the orphan sweep finds."""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from ent import storage
from ent.errors import FileRefused
from ent.sanitize import linkify_text
from media import files
from media.actions.common import check_upload_allowed, delete_quietly, lock_quota_owners, new_key, other_signer
from media.actions.repository import bump_fleets
from media.actions.scans import scan_illustration_later, scan_later
from media.models import Illustration, Item, Version

log = logging.getLogger(__name__)


@dataclass
class Inspected:
    sniffed: files.Sniffed
    apk: files.ApkInfo | None


def inspect_local(path, kind: str) -> Inspected:
    """Type by content, then APK review data. Refuses a file whose content does
    not match the item's kind."""
    sniffed = files.sniff(path)
    if sniffed is None:
        raise FileRefused(_("This type of file is not accepted (its content was checked, not its name)."))
    if sniffed.kind != kind:
        raise FileRefused(
            _("This file is a %(found)s, not a %(expected)s.")
            % {"found": Item.Kind(sniffed.kind).label, "expected": Item.Kind(kind).label}
        )
    apk = files.inspect_apk(path) if kind == Item.Kind.APK else None
    return Inspected(sniffed, apk)


def apk_fields(item: Item, apk: files.ApkInfo | None) -> dict:
    if apk is None:
        return {}
    previous = item.current_version if item.pk else None
    fields = {
        "apk_package": apk.package,
        "apk_version_name": apk.version_name,
        "apk_version_code": apk.version_code,
        "apk_min_sdk": apk.min_sdk,
        "apk_target_sdk": apk.target_sdk,
        "apk_permissions": apk.permissions,
        "apk_permission_details": apk.permission_details,
        "apk_label": apk.label,
        "apk_cert_sha256": apk.cert_sha256,
        "apk_fdroid_readable": apk.fdroid_readable,
    }
    if previous is not None and previous.apk_package:
        if apk.package != previous.apk_package:
            raise FileRefused(
                _("This app is %(new)s, not %(old)s: propose it as a new resource.")
                % {"new": apk.package, "old": previous.apk_package}
            )
        if (apk.version_code or 0) <= (previous.apk_version_code or 0):
            raise FileRefused(
                _("The version code (%(new)s) must be higher than the approved one (%(old)s).")
                % {"new": apk.version_code, "old": previous.apk_version_code}
            )
        # Against what the tablets grant the approved version: any growth needs a decision.
        fields["apk_new_permissions"] = sorted(set(apk.permissions) - set(previous.apk_permissions))
        fields["apk_cert_changed"] = apk.cert_sha256 != previous.apk_cert_sha256
    elif item.pk is None or previous is None:
        fields["apk_new_permissions"] = []
    other = other_signer(item, apk.package, apk.cert_sha256) if item.pk else None
    if other is not None:
        fields["apk_other_signer"] = other.apk_cert_sha256
        fields["apk_other_item"] = other.item
    return fields


def store_uploaded_file(uploaded, *, user, school, kind) -> dict:
    """Stream a file Django received (spooled to disk past 2 MB) to the object
    store, hashing it on the way. Returns the Version fields."""
    check_upload_allowed(user, school, uploaded.size)
    path, tmp = files.local_copy(uploaded)
    try:
        inspected = inspect_local(path, kind)
        key = new_key(school.id)
        with open(path, "rb") as fh:
            reader = files.HashingReader(fh)
            storage.put_streaming(key, reader, uploaded.size, inspected.sniffed.content_type)
        if reader.size != uploaded.size:
            storage.delete(key)
            raise FileRefused(_("The file changed while it was being stored. Please try again."))
    finally:
        if tmp is not None:
            tmp.close()
    return {
        "key": key,
        "filename": files.safe_filename(uploaded.name),
        "content_type": inspected.sniffed.content_type,
        "size": reader.size,
        "sha256": reader.sha256.hexdigest(),
        "_apk": inspected.apk,
    }


def record(item_factory, stored: dict, *, user):
    """Write the rows for a stored object in one transaction; delete the object if
    that fails. item_factory() returns the (possibly new) item inside the
    transaction."""
    apk = stored.pop("_apk", None)
    try:
        with transaction.atomic():
            item = item_factory()
            # Checked again under the quota lock: the streamed path stored the file
            # without holding it, so another upload may have used the room since.
            lock_quota_owners(user, item.school)
            check_upload_allowed(user, item.school, stored["size"])
            item = Item.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=item.pk)
            number = (item.versions.aggregate(m=Max("number"))["m"] or 0) + 1
            version = Version.objects.create(
                item=item, number=number, uploaded_by=user, **stored, **apk_fields(item, apk)
            )
            transaction.on_commit(lambda: scan_later(version.id))
    except BaseException:
        delete_quietly(stored["key"])
        raise
    return version


def create_item(user, school, data: dict) -> Item:
    item = Item.objects.create(
        school=school,
        kind=data["kind"],
        title=data["title"],
        description_html=linkify_text(data.get("description", "")),
        summary=(data.get("summary") or "")[:200],
        title_en=(data.get("title_en") or "")[:200],
        summary_en=(data.get("summary_en") or "")[:200],
        description_en_html=linkify_text(data.get("description_en", "") or ""),
        levels=data.get("levels", ""),
        licence=data.get("licence", ""),
        url=data.get("url", ""),
        created_by=user,
    )
    if data.get("subjects"):
        item.subjects.set(data["subjects"])
    return item


def do_propose_item(user, school, data: dict, uploaded=None) -> Item:
    """A teacher proposes a resource: a link, or a file streamed to the store."""
    if data["kind"] == Item.Kind.LINK:
        with transaction.atomic():
            return create_item(user, school, data)
    if uploaded is None:
        raise FileRefused(_("Choose a file to upload."))
    stored = store_uploaded_file(uploaded, user=user, school=school, kind=data["kind"])
    version = record(lambda: create_item(user, school, data), stored, user=user)
    return version.item


def do_add_version(user, item: Item, uploaded) -> Version:
    if not item.has_file:
        raise FileRefused(_("A link has no file."))
    stored = store_uploaded_file(uploaded, user=user, school=item.school, kind=item.kind)
    return record(lambda: item, stored, user=user)


def do_add_illustration(user, item: Item, uploaded, role: str) -> Illustration:
    """An icon (replacing the previous one) or a screenshot (at most 6)."""
    if role not in Illustration.Role.values:
        raise FileRefused(_("Choose icon or screenshot."))
    if role == Illustration.Role.SCREENSHOT and item.illustrations.filter(role=role).count() >= 6:
        raise FileRefused(_("Six screenshots at most: delete one first."))
    stored = store_uploaded_file(uploaded, user=user, school=item.school, kind=Item.Kind.IMAGE)
    stored.pop("_apk", None)
    old_keys = []
    try:
        with transaction.atomic():
            if role == Illustration.Role.ICON:
                old = list(item.illustrations.filter(role=role))
                old_keys = [i.key for i in old if i.key]
                Illustration.objects.filter(id__in=[i.id for i in old]).delete()
            illustration = Illustration.objects.create(item=item, role=role, uploaded_by=user, **stored)
            transaction.on_commit(lambda: scan_illustration_later(illustration.id))
            transaction.on_commit(lambda: [delete_quietly(k) for k in old_keys])
    except BaseException:
        delete_quietly(stored["key"])
        raise
    return illustration


def do_delete_version(user, version: Version) -> None:
    """Remove one version and its object. The approved version cannot be removed
    while it is on offer: withdraw the item first."""
    item = version.item
    if item.current_version_id == version.id and item.status == Item.Status.APPROVED:
        raise FileRefused(_("This version is the one on offer: withdraw the resource first."))
    key = version.key
    with transaction.atomic():
        Item.objects.filter(current_version=version).update(current_version=None)
        version.delete()
        bump_fleets([item.id])
        if key:
            transaction.on_commit(lambda: delete_quietly(key))


def do_delete_item(user, item: Item) -> None:
    keys = [k for k in item.versions.values_list("key", flat=True) if k]
    keys += [k for k in item.illustrations.values_list("key", flat=True) if k]
    with transaction.atomic():
        bump_fleets([item.id])
        item.delete()
        transaction.on_commit(lambda: [delete_quietly(k) for k in keys])
