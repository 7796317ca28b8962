"""Page-cache scopes of the register page: "reg:<register>", bumped when the
register, one of its marks, or a family's notice over its day changes."""

from django.db.models.signals import post_delete, post_save

from ent import pagecache

SCOPE = "reg"


def register_scopes(request, register_id, *args, **kwargs):
    return [pagecache.scope(SCOPE, register_id)]


def bump_registers(register_ids) -> None:
    pagecache.bump_each(SCOPE, register_ids)


def _register_changed(sender, instance, **kwargs):
    bump_registers([instance.pk])


def _event_changed(sender, instance, **kwargs):
    bump_registers([instance.register_id])


def _registers_of_days(school_id, first, last):
    from absences.models import Register

    return (
        Register.objects.filter(school_id=school_id, date__gte=first, date__lte=last)
        .order_by()
        .values_list("id", flat=True)
    )


def _notice_changed(sender, instance, **kwargs):
    """A notice shows as "announced" on every register of its pupil's school
    over its days (a handful a day): bump them all rather than work out which
    ones the pupil is on."""
    bump_registers(_registers_of_days(instance.school_id, instance.starts_at.date(), instance.ends_at.date()))


def _reason_changed(sender, instance, **kwargs):
    pagecache.bump(pagecache.DIRECTORY)


def connect():
    from absences.models import AbsenceEvent, AbsenceNotice, Reason, Register

    # Saves only. A receiver on delete would stop Django from deleting in one
    # query (it would load every row of the nightly retention purge); marks are
    # removed by do_save_register, which saves the register afterwards, and a
    # purged register's page (over a year old) lives PAGE_CACHE_SECONDS at most.
    post_save.connect(_register_changed, sender=Register, dispatch_uid="pagecache-register-save")
    post_save.connect(_event_changed, sender=AbsenceEvent, dispatch_uid="pagecache-event-save")
    post_save.connect(_notice_changed, sender=AbsenceNotice, dispatch_uid="pagecache-notice-save")
    post_save.connect(_reason_changed, sender=Reason, dispatch_uid="pagecache-reason-save")
    # Reasons are few and never purged in bulk: a delete (the admin) bumps too.
    post_delete.connect(_reason_changed, sender=Reason, dispatch_uid="pagecache-reason-delete")
