"""The school's absence reasons (motifs)."""

from django.db import transaction

from absences import pagescopes
from ent import pagecache


def do_save_reason(user, form):
    """Reasons are configured by the school's managers (the form is bound to
    the reason, its school set by the view)."""
    with transaction.atomic():
        reason = form.save()
        pagecache.bump_after_commit(pagescopes.bump_reasons, reason)
    return reason
