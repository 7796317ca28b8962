"""Personal data over time: who looked at which pupil's record (the audit log)
and the nightly purge of what is past the territory's retention."""

from collections import defaultdict
from datetime import date, time

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from absences import pagescopes
from absences.models import (
    AbsenceEvent,
    AbsenceNotice,
    AbsenteeismAlert,
    AuditEntry,
    Register,
    RetentionPolicy,
    UnexplainedAlert,
    aware,
)
from ent import pagecache, storage
from ent.directory.models import Territory


def record_views(viewer, pupil_ids, school_id, what):
    """Write who looked at which pupil's record (one insert)."""
    name = viewer.get_full_name() or viewer.username
    now = timezone.now()
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(viewer=viewer, viewer_name=name, pupil_id=pid, school_id=school_id, what=what, viewed_at=now)
            for pid in pupil_ids
        ]
    )


# Retention ---------------------------------------------------------------------------


def purge_cutoff(today: date, years_after: int) -> date:
    """Records dated before this day are past retention. School years start on
    1 September: a record of year Y is kept to the end of year Y + years_after."""
    current_start = today.year if today.month >= 9 else today.year - 1
    return date(current_start - years_after, 9, 1)


def do_purge_expired(today=None) -> dict:
    today = today or timezone.localdate()
    counts = defaultdict(int)
    policies = dict(RetentionPolicy.objects.values_list("territory_id", "years_after"))
    for territory_id in Territory.objects.values_list("id", flat=True):
        cutoff = purge_cutoff(today, policies.get(territory_id, 1))
        cutoff_at = aware(cutoff, time(0, 0))
        in_territory = Q(school__territory_id=territory_id)
        notices = AbsenceNotice.objects.filter(in_territory, ends_at__lt=cutoff_at)
        # Files first: if the store is down nothing is deleted and the next run retries.
        for key in notices.exclude(document_key="").values_list("document_key", flat=True):
            storage.delete(key)
        registers = Register.objects.filter(in_territory, date__lt=cutoff)
        with transaction.atomic():
            # A purged register's page and cached row must not outlive it.
            pagecache.bump_after_commit(pagescopes.bump_registers, list(registers.values_list("id", flat=True)))
            for name, qs in (
                ("events", AbsenceEvent.objects.filter(in_territory, date__lt=cutoff)),
                ("registers", registers),
                ("notices", notices),
                ("unexplained_alerts", UnexplainedAlert.objects.filter(in_territory, date__lt=cutoff)),
                ("absenteeism_alerts", AbsenteeismAlert.objects.filter(in_territory, month__lt=cutoff)),
                ("audit", AuditEntry.objects.filter(in_territory, viewed_at__lt=cutoff_at)),
            ):
                deleted, _detail = qs.delete()
                counts[name] += deleted
    return dict(counts)
