"""The school's absence reasons (motifs)."""

from django.db import transaction

from absences.models import Reason


def do_save_reason(user, form):
    """Reasons are configured by the school's managers (the form is bound to
    the reason, its school set by the view)."""
    with transaction.atomic():
        return form.save()


def reasons_for(school, *, include_inactive=False):
    qs = Reason.objects.filter(school=school)
    return qs if include_inactive else qs.filter(is_active=True)
