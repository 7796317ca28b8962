"""Object-store hygiene: objects without rows, rows without objects, abandoned
direct uploads. One listing of the store, compared with the rows."""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ent import storage
from ent.files import ScanState
from media.models import Fleet, Illustration, Item, UploadTicket, Version

log = logging.getLogger(__name__)

PREFIX = "media/"
# Objects younger than this may belong to an upload whose rows are being written.
GRACE = timedelta(hours=1)


@dataclass
class SweepReport:
    orphan_objects: list = field(default_factory=list)
    missing_objects: list = field(default_factory=list)  # version ids
    expired_uploads: int = 0
    fixed: bool = False

    def __str__(self):
        return (
            f"{len(self.orphan_objects)} object(s) without a row, {len(self.missing_objects)} version(s) "
            f"without an object, {self.expired_uploads} abandoned upload(s){' — fixed' if self.fixed else ''}"
        )


def do_sweep_orphans(*, fix: bool) -> SweepReport:
    report = SweepReport(fixed=fix)
    now = timezone.now()
    expired = list(UploadTicket.objects.filter(expires_at__lte=now).values_list("id", "key"))
    report.expired_uploads = len(expired)
    objects = dict(storage.list_objects(PREFIX))
    version_keys = dict(Version.objects.exclude(key="").values_list("key", "id"))
    picture_keys = dict(Illustration.objects.exclude(key="").values_list("key", "id"))
    live_tickets = set(UploadTicket.objects.filter(expires_at__gt=now).values_list("key", flat=True))
    for key, modified in objects.items():
        if key in version_keys or key in picture_keys or key in live_tickets:
            continue
        if modified is not None and now - modified < GRACE:
            continue
        report.orphan_objects.append(key)
    report.missing_objects = sorted(vid for key, vid in version_keys.items() if key not in objects)
    missing_pictures = [pid for key, pid in picture_keys.items() if key not in objects]
    if fix:
        for key in report.orphan_objects:
            storage.delete(key)
        UploadTicket.objects.filter(id__in=[tid for tid, _key in expired]).delete()
        Illustration.objects.filter(id__in=missing_pictures).delete()
        if report.missing_objects:
            with transaction.atomic():
                # Held for good: never offered, and with no key nothing rescans it.
                Version.objects.filter(id__in=report.missing_objects).update(
                    key="", scan=ScanState.HELD, scan_signature="object missing"
                )
                gone = Item.objects.filter(current_version_id__in=report.missing_objects)
                items = list(gone.values_list("id", flat=True))
                # Nothing may point families or tablets at a file that is gone.
                Item.objects.filter(id__in=items).update(current_version=None)
                Fleet.objects.filter(fleet_items__item_id__in=items).update(revision=F("revision") + 1)
    log.info("media sweep: %s", report)
    return report
