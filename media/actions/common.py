"""What media's actions share: the quotas and their lock, object keys, the
one-signer-per-package rule, deleting an object without failing the caller."""

import logging
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ent import storage
from ent.directory.models import School
from ent.errors import FileRefused, StorageUnavailable
from ent.words import size as size_words
from media.models import Item, UploadTicket, Version

log = logging.getLogger(__name__)


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
            % {"size": size_words(size), "limit": size_words(settings.MEDIA_MAX_UPLOAD_BYTES)}
        )
    if quota_used(user=user) + size > settings.MEDIA_QUOTA_TEACHER_BYTES:
        raise FileRefused(
            _("Your storage quota (%(limit)s) would be exceeded. Remove old versions or ask your référent.")
            % {"limit": size_words(settings.MEDIA_QUOTA_TEACHER_BYTES)}
        )
    if quota_used(school=school) + size > settings.MEDIA_QUOTA_SCHOOL_BYTES:
        raise FileRefused(
            _("The school's storage quota (%(limit)s) would be exceeded.")
            % {"limit": size_words(settings.MEDIA_QUOTA_SCHOOL_BYTES)}
        )


def lock_quota_owners(user, school) -> None:
    """Lock the uploader's and the school's rows until the transaction ends, so two
    uploads started at once are counted one after the other: the second sees the
    first's reservation (or version) and cannot also pass. Always user then school:
    one order, no deadlock."""
    if user is not None:
        get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
    School.objects.select_for_update().filter(pk=school.pk).values_list("pk", flat=True).first()


def new_key(school_id) -> str:
    # Our own key: nothing of the uploaded name reaches the object store's paths.
    return f"media/{school_id}/{uuid.uuid4().hex}"


def delete_quietly(key):
    try:
        storage.delete(key)
    except StorageUnavailable:
        # The sweep will find it: an object without a row.
        log.warning("could not delete %s after a failed write", key)


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
