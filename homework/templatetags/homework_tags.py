from django import template
from django.utils.translation import gettext as _

from homework.actions import TRACKED_FIELDS

register = template.Library()


@register.filter
def change_label(field):
    """The readable name of a field in the edit history."""
    if field == "attachments":
        return _("attachments")
    return str(TRACKED_FIELDS.get(field, field))
