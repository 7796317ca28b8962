import datetime

from django import template
from django.utils import formats, timezone

register = template.Library()


@register.filter
def when(value):
    """A date or datetime in the active language; a caller's preformatted string as is.
    (Django's |date filter turns a string into nothing.)"""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    return "" if value is None else value
