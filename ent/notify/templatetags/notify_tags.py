import datetime

from django import template

from ent import dates

register = template.Library()


@register.filter
def when(value):
    """A date or datetime as people say it (ent/dates.py), in the reader's
    language; a caller's preformatted string as is. (Django's |date filter
    turns a string into nothing.)"""
    if isinstance(value, datetime.datetime | datetime.date):
        return dates.moment(value)
    return "" if value is None else value
