"""The school's absence reasons (motifs)."""

from django.db import transaction


def do_save_reason(user, form):
    """Reasons are configured by the school's managers (the form is bound to
    the reason, its school set by the view)."""
    with transaction.atomic():
        return form.save()
