"""Direct uploads, browser → object store: a quota reserved and a presigned
PUT handed out, then what arrived checked (size, SHA-256, type by content, APK
data) before it is recorded like any other version."""

import logging
import tempfile
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ent import storage
from ent.directory.models import Subject
from ent.errors import FileRefused
from media import files
from media.actions.common import check_upload_allowed, delete_quietly, lock_quota_owners, new_key
from media.actions.items import create_item, inspect_local, record
from media.models import UploadTicket, Version

log = logging.getLogger(__name__)


DIRECT_UPLOAD_SECONDS = 6 * 3600


def do_start_direct_upload(user, school, *, filename, size, sha256="", item=None, metadata=None):
    """Reserve the quota (under a row lock: see lock_quota_owners) and hand out a
    presigned PUT URL."""
    sha256 = (sha256 or "").lower()
    if sha256 and (len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256)):
        raise FileRefused(_("The checksum sent by the browser is not a SHA-256."))
    with transaction.atomic():
        lock_quota_owners(user, school)
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
        delete_quietly(key)
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
        return create_item(user, ticket.school, data)

    return record(factory, stored, user=user)
