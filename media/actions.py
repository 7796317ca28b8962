"""Every change of state for resources, fleets and tablets.

Files: the object is written first, outside any transaction; the rows are then
written in one transaction, and if that fails the object is deleted. So there is
never a row without its object, and an object without a row only if the process
dies in between, which the orphan sweep finds.
"""

import logging
import secrets
import tempfile
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Max, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ent import storage
from ent.celery import app as celery_app
from ent.directory.models import School, StaffRole, Subject
from ent.errors import FileRefused, StorageUnavailable
from ent.files import ScanState
from ent.notify.api import notify
from ent.sanitize import linkify_text
from media import files, scanner
from media.models import (
    Assignment,
    Decision,
    Fleet,
    FleetItem,
    Illustration,
    Item,
    Tablet,
    UploadTicket,
    Version,
    hash_token,
)

log = logging.getLogger(__name__)

DIRECT_UPLOAD_SECONDS = 6 * 3600


def _human(size):
    for unit in ("o", "Ko", "Mo", "Go"):
        if size < 1024 or unit == "Go":
            return f"{size:.0f} {unit}" if unit == "o" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


# Quotas --------------------------------------------------------------------


def _reserved(**filters):
    return UploadTicket.objects.filter(expires_at__gt=timezone.now(), **filters).aggregate(s=Sum("size"))["s"] or 0


def quota_used(user=None, school=None) -> int:
    if user is not None:
        stored = Version.objects.filter(uploaded_by=user).exclude(key="").aggregate(s=Sum("size"))["s"] or 0
        return stored + _reserved(created_by=user)
    stored = Version.objects.filter(item__school=school).exclude(key="").aggregate(s=Sum("size"))["s"] or 0
    return stored + _reserved(school=school)


def check_upload_allowed(user, school, size: int) -> None:
    """Size limit and both quotas, before any byte is stored."""
    if size <= 0:
        raise FileRefused(_("The file is empty."))
    if size > settings.MEDIA_MAX_UPLOAD_BYTES:
        raise FileRefused(
            _("The file is too large (%(size)s); the limit is %(limit)s.")
            % {"size": _human(size), "limit": _human(settings.MEDIA_MAX_UPLOAD_BYTES)}
        )
    if quota_used(user=user) + size > settings.MEDIA_QUOTA_TEACHER_BYTES:
        raise FileRefused(
            _("Your storage quota (%(limit)s) would be exceeded. Remove old versions or ask your référent.")
            % {"limit": _human(settings.MEDIA_QUOTA_TEACHER_BYTES)}
        )
    if quota_used(school=school) + size > settings.MEDIA_QUOTA_SCHOOL_BYTES:
        raise FileRefused(
            _("The school's storage quota (%(limit)s) would be exceeded.")
            % {"limit": _human(settings.MEDIA_QUOTA_SCHOOL_BYTES)}
        )


def _lock_quota_owners(user, school) -> None:
    """Lock the uploader's and the school's rows until the transaction ends, so two
    uploads started at once are counted one after the other: the second sees the
    first's reservation (or version) and cannot also pass. Always user then school:
    one order, no deadlock."""
    if user is not None:
        get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
    School.objects.select_for_update().filter(pk=school.pk).values_list("pk", flat=True).first()


# Storing files -------------------------------------------------------------


def new_key(school_id) -> str:
    # Our own key: nothing of the uploaded name reaches the object store's paths.
    return f"media/{school_id}/{uuid.uuid4().hex}"


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


def other_signer(item: Item, package: str, cert_sha256: str) -> Version | None:
    """The approved version of another item of the territory that offers the same
    package with another signer, or None. One signer per package across the
    territory: a tablet fleet may mix schools' apps, and Android refuses an update
    signed by another key (or, worse, a publisher's key was swapped)."""
    return (
        Version.objects.filter(
            apk_package=package,
            item__school__territory_id=item.school.territory_id,
            item__status=Item.Status.APPROVED,
            item__current_version_id=F("id"),
        )
        .exclude(item_id=item.pk)
        .exclude(apk_cert_sha256=cert_sha256)
        .select_related("item")
        .order_by("id")
        .first()
    )


def _apk_fields(item: Item, apk: files.ApkInfo | None) -> dict:
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
            files.put_file(key, reader, uploaded.size, inspected.sniffed.content_type)
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


def _record(item_factory, stored: dict, *, user):
    """Write the rows for a stored object in one transaction; delete the object if
    that fails. item_factory() returns the (possibly new) item inside the
    transaction."""
    apk = stored.pop("_apk", None)
    try:
        with transaction.atomic():
            item = item_factory()
            # Checked again under the quota lock: the streamed path stored the file
            # without holding it, so another upload may have used the room since.
            _lock_quota_owners(user, item.school)
            check_upload_allowed(user, item.school, stored["size"])
            item = Item.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=item.pk)
            number = (item.versions.aggregate(m=Max("number"))["m"] or 0) + 1
            version = Version.objects.create(
                item=item, number=number, uploaded_by=user, **stored, **_apk_fields(item, apk)
            )
            transaction.on_commit(lambda: _scan_later(version.id))
    except BaseException:
        _delete_quietly(stored["key"])
        raise
    return version


def _scan_later(version_id):
    """Queue the scan once the version is committed. If the broker cannot take it,
    the version stays held (never offered) and the beat's rescan_pending
    picks it up: the upload itself must not fail after it was recorded."""
    from media.tasks import scan_version  # media.tasks calls these actions: imported when needed

    try:
        scan_version.delay(version_id)
    except Exception as exc:  # kombu/redis errors, a closed producer pool
        log.warning("could not queue the scan of version %s (%s); rescan_pending will", version_id, exc)


def _delete_quietly(key):
    try:
        storage.delete(key)
    except StorageUnavailable:
        # The sweep will find it: an object without a row.
        log.warning("could not delete %s after a failed write", key)


def _create_item(user, school, data: dict) -> Item:
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
            return _create_item(user, school, data)
    if uploaded is None:
        raise FileRefused(_("Choose a file to upload."))
    stored = store_uploaded_file(uploaded, user=user, school=school, kind=data["kind"])
    version = _record(lambda: _create_item(user, school, data), stored, user=user)
    return version.item


def do_add_version(user, item: Item, uploaded) -> Version:
    if not item.has_file:
        raise FileRefused(_("A link has no file."))
    stored = store_uploaded_file(uploaded, user=user, school=item.school, kind=item.kind)
    return _record(lambda: item, stored, user=user)


# Direct upload: browser → object store ---------------------------------------


def do_start_direct_upload(user, school, *, filename, size, sha256="", item=None, metadata=None):
    """Reserve the quota (under a row lock: see _lock_quota_owners) and hand out a
    presigned PUT URL."""
    sha256 = (sha256 or "").lower()
    if sha256 and (len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256)):
        raise FileRefused(_("The checksum sent by the browser is not a SHA-256."))
    with transaction.atomic():
        _lock_quota_owners(user, school)
        check_upload_allowed(user, school, size)
        ticket = UploadTicket.objects.create(
            key=new_key(school.id),
            school=school,
            item=item,
            metadata=metadata or {},
            filename=files.safe_filename(filename),
            size=size,
            sha256=sha256,
            created_by=user,
            expires_at=timezone.now() + timedelta(seconds=DIRECT_UPLOAD_SECONDS),
        )
    return ticket, storage.presigned_put(ticket.key, seconds=DIRECT_UPLOAD_SECONDS)


def do_finish_direct_upload(user, ticket: UploadTicket) -> Version:
    """The browser says it is done: check what arrived (size, SHA-256, type by
    content, APK data), then record it; otherwise delete the object and refuse."""
    key = ticket.key
    try:
        info = storage.stat(key)
        if info is None:
            raise FileRefused(_("The file did not reach the store. Please upload it again."))
        if info.size != ticket.size:
            raise FileRefused(_("The upload stopped half-way (the file is incomplete). Please upload it again."))
        item = ticket.item
        kind = item.kind if item else ticket.metadata.get("kind")
        with tempfile.NamedTemporaryFile(prefix="ent-media-") as tmp:
            sha256, size = files.download_to(key, tmp)
            if size != ticket.size:
                raise FileRefused(_("The upload stopped half-way (the file is incomplete). Please upload it again."))
            if ticket.sha256 and sha256 != ticket.sha256:
                raise FileRefused(_("The file arrived damaged (its checksum does not match). Please upload it again."))
            inspected = inspect_local(tmp.name, kind)
    except FileRefused:
        _delete_quietly(key)
        ticket.delete()
        raise
    stored = {
        "key": key,
        "filename": ticket.filename,
        "content_type": inspected.sniffed.content_type,
        "size": size,
        "sha256": sha256,
        "_apk": inspected.apk,
    }

    def factory():
        ticket.delete()
        if item is not None:
            return item
        data = dict(ticket.metadata)
        data["subjects"] = list(Subject.objects.filter(school=ticket.school, id__in=data.get("subjects", [])))
        return _create_item(user, ticket.school, data)

    return _record(factory, stored, user=user)


# Scanning ------------------------------------------------------------------


def do_scan_version(version_id) -> Version | None:
    """Scan a version's object with clamd. Clean → reviewable (or auto-approved
    for an APK update with the same signer and no new permission). Infected → the
    object is deleted, the version marked, the uploader told. Idempotent."""
    version = Version.objects.select_related("item").filter(id=version_id).first()
    if version is None or version.scan != ScanState.HELD:
        return version
    response = storage.get_stream(version.key)
    if response is None:
        # As on the other surfaces (ent.files.do_scan_file): the row stays held,
        # never offered; the orphan sweep clears its key.
        log.error("held version %s has no object %s", version.id, version.key)
        version.scan_signature = "object missing"
        version.save(update_fields=["scan_signature"])
        return version
    try:
        clean, signature = scanner.scan_stream(response)
    except scanner.ScannerUnavailable as exc:
        # No verdict: the version stays held and rescan_pending tries again.
        log.warning("scan of version %s failed: %s", version.id, exc)
        raise
    finally:
        response.close()
        response.release_conn()
    if clean:
        _mark_clean(version)
    else:
        _quarantine(version, signature)
    return version


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
            transaction.on_commit(lambda: _scan_illustration_later(illustration.id))
            transaction.on_commit(lambda: [_delete_quietly(k) for k in old_keys])
    except BaseException:
        _delete_quietly(stored["key"])
        raise
    return illustration


def _scan_illustration_later(illustration_id):
    from media.tasks import scan_illustration  # media.tasks calls these actions: imported when needed

    scan_illustration.delay(illustration_id)


def do_scan_illustration(illustration_id):
    illustration = Illustration.objects.select_related("item").filter(id=illustration_id).first()
    if illustration is None or illustration.scan != ScanState.HELD:
        return illustration
    response = storage.get_stream(illustration.key)
    if response is None:
        return illustration
    try:
        clean, signature = scanner.scan_stream(response)
    finally:
        response.close()
        response.release_conn()
    if clean:
        Illustration.objects.filter(id=illustration.id).update(scan=ScanState.OFFERED)
        return illustration
    key = illustration.key
    with transaction.atomic():
        Illustration.objects.filter(id=illustration.id).update(scan=ScanState.INFECTED, key="")
        if illustration.uploaded_by_id:
            notify(
                [illustration.uploaded_by_id],
                "resource.infected",
                obj=illustration.item,
                context={
                    "title": illustration.item.title,
                    "filename": illustration.filename,
                    "signature": signature,
                    "url": reverse("media:item", args=[illustration.item_id]),
                },
            )
        transaction.on_commit(lambda: _delete_quietly(key))
    return illustration


def _mark_clean(version):
    with transaction.atomic():
        locked = Version.objects.select_for_update(of=("self",))
        version = locked.select_related("item__current_version").get(id=version.id)
        version.scan = ScanState.OFFERED
        version.scanned_at = timezone.now()
        version.save(update_fields=["scan", "scanned_at"])
        item = version.item
        previous = item.current_version
        if (
            item.status == Item.Status.APPROVED
            and item.kind == Item.Kind.APK
            and previous is not None
            and previous.number < version.number
            and not version.apk_new_permissions
            and not version.apk_cert_changed
            and not version.apk_other_signer
            and other_signer(item, version.apk_package, version.apk_cert_sha256) is None
        ):
            _approve(item, version, None, Decision.Verdict.AUTO_APPROVED)


def _quarantine(version, signature):
    key = version.key
    with transaction.atomic():
        version = Version.objects.select_for_update(of=("self",)).select_related("item").get(id=version.id)
        version.scan = ScanState.INFECTED
        version.scan_signature = signature[:200]
        version.scanned_at = timezone.now()
        version.review = Version.Review.REJECTED
        version.key = ""
        version.save(update_fields=["scan", "scan_signature", "scanned_at", "review", "key"])
        if version.uploaded_by_id:
            notify(
                [version.uploaded_by_id],
                "resource.infected",
                obj=version.item,
                context={
                    "title": version.item.title,
                    "filename": version.filename,
                    "signature": signature,
                    "url": reverse("media:item", args=[version.item_id]),
                },
            )
        # The infected object must not stay downloadable: delete it once the row says so.
        transaction.on_commit(lambda: _delete_quietly(key))


# Decisions ---------------------------------------------------------------


def _bump_fleets(item_ids):
    fleets = Fleet.objects.filter(fleet_items__item_id__in=item_ids)
    _refresh_repos_later(set(fleets.filter(repo_built_at__isnull=False).values_list("id", flat=True)))
    fleets.update(revision=F("revision") + 1)


def _refresh_repos_later(fleet_ids):
    """Rebuild the published F-Droid repositories of these fleets once the change
    is committed, so a withdrawn app leaves the index as it leaves the manifest.
    Fleets whose repository was never built have nothing to refresh (their
    référent builds it from the fleet page)."""
    if not fleet_ids:
        return
    for fleet_id in sorted(set(fleet_ids)):
        # robust: a broker outage must not break the request that committed the change.
        transaction.on_commit(lambda fleet_id=fleet_id: queue_repo_build(fleet_id), robust=True)


def do_request_repo_build(user, fleet: Fleet) -> None:
    """The référent publishes the fleet's F-Droid repository: the build is queued
    once the request's transaction commits (robust: a broker outage must not
    break the page), never run in the request (see queue_repo_build)."""
    transaction.on_commit(lambda: queue_repo_build(fleet.id), robust=True)


def queue_repo_build(fleet_id) -> None:
    """Hand the build to Celery. A build takes seconds (fdroid update, signing):
    never inside a request. Where Celery runs tasks eagerly (`make run` on a bare
    machine, no broker), it runs in a thread of its own instead, after the response."""
    from media.tasks import build_fdroid_repo  # media.tasks calls these actions: imported when needed

    if not (celery_app.conf.task_always_eager and getattr(settings, "MEDIA_FDROID_BUILD_IN_THREAD", True)):
        build_fdroid_repo.delay(fleet_id)
        return

    def run():
        try:
            build_fdroid_repo.apply(args=[fleet_id])
        finally:
            connection.close()

    threading.Thread(target=run, name=f"fdroid-build-{fleet_id}", daemon=True).start()


def referent_ids(school) -> list:
    roles = StaffRole.objects.filter(school=school, role=StaffRole.Role.REFERENT)
    ids = list(roles.values_list("user_id", flat=True))
    if not ids:
        ids = list(
            StaffRole.objects.filter(school=school, role=StaffRole.Role.DIRECTION).values_list("user_id", flat=True)
        )
    return ids


def do_record_repo_failure(fleet_id, reason: str) -> Fleet | None:
    """A build failed: the previous repository stays served; the fleet is marked
    out of date with the reason, and its référents are told (once per run of
    failures, not at every retry)."""
    with transaction.atomic():
        fleet = Fleet.objects.select_for_update().select_related("school").filter(id=fleet_id).first()
        if fleet is None:
            return None
        first_failure = not fleet.repo_error
        fleet.repo_error = (reason or "").strip()[:4000] or "unknown error"
        fleet.repo_failed_at = timezone.now()
        fleet.save(update_fields=["repo_error", "repo_failed_at"])
        if first_failure:
            notify(
                referent_ids(fleet.school),
                "fleet.repository_failed",
                obj=fleet,
                context={
                    "fleet": fleet.name,
                    "reason": fleet.repo_error[:500],
                    "url": reverse("media:fleet", args=[fleet.id]),
                },
            )
    return fleet


def _approve(item, version, user, verdict, reason=""):
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
    _bump_fleets([item.id])
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
        _approve(item, version, user, Decision.Verdict.APPROVED)
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
            _bump_fleets([item.id])
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
        _bump_fleets([item.id])
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


# Deleting ----------------------------------------------------------------


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
        _bump_fleets([item.id])
        if key:
            transaction.on_commit(lambda: _delete_quietly(key))


def do_delete_item(user, item: Item) -> None:
    keys = [k for k in item.versions.values_list("key", flat=True) if k]
    keys += [k for k in item.illustrations.values_list("key", flat=True) if k]
    with transaction.atomic():
        _bump_fleets([item.id])
        item.delete()
        transaction.on_commit(lambda: [_delete_quietly(k) for k in keys])


# Fleets and tablets ------------------------------------------------------------


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
            _refresh_repos_later([fleet.id])
    return link


def do_remove_fleet_item(user, fleet: Fleet, item: Item) -> None:
    with transaction.atomic():
        FleetItem.objects.filter(fleet=fleet, item=item).delete()
        Fleet.objects.filter(id=fleet.id).update(revision=F("revision") + 1)
        if fleet.repo_built_at is not None:
            _refresh_repos_later([fleet.id])


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
