"""Page-cache scopes of the register page: "reg:<register>", bumped when the
register, one of its marks, or a family's notice over its day changes.

The actions say what their writes touch (ent.pagecache.bump_after_commit, bulk
writes included): no receivers on post_save, which bulk writes never send and
which made the nightly purge load every row it deleted. The admin, the one
write path outside the actions, bumps through BumpsPagesAdmin (absences/admin.py).
Written by actions but shown on no cached page: office entries without a
register (do_record_absences), the alerts and the audit log."""

from absences.models import Register
from ent import pagecache

SCOPE = "reg"


def register_scopes(request, register_id, *args, **kwargs):
    return [pagecache.scope(SCOPE, register_id)]


def bump_registers(register_ids) -> None:
    pagecache.bump_each(SCOPE, register_ids)


def registers_of_days(school_id, first, last):
    return (
        Register.objects.filter(school_id=school_id, date__gte=first, date__lte=last)
        .order_by()
        .values_list("id", flat=True)
    )


def bump_notice(notice) -> None:
    """A notice shows as "announced" on every register of its pupil's school
    over its days (a handful a day): bump them all rather than work out which
    ones the pupil is on."""
    bump_registers(registers_of_days(notice.school_id, notice.starts_at.date(), notice.ends_at.date()))


def bump_reasons(*_reasons) -> None:
    """Reasons are school configuration, bumped as the directory is: pages that
    list them (forms, files) are then never older than the list."""
    pagecache.bump(pagecache.DIRECTORY)
