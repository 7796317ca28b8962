import datetime

from django import template

from ent import dates
from ent.notify import access, webpush

register = template.Library()


@register.filter
def when(value):
    """A date or datetime as people say it (ent/dates.py), in the reader's
    language; a caller's preformatted string as is. (Django's |date filter
    turns a string into nothing.)"""
    if isinstance(value, datetime.datetime | datetime.date):
        return dates.moment(value)
    return "" if value is None else value


@register.simple_tag
def webpush_public_key():
    """The VAPID public key browsers subscribe with; empty when the channel is off."""
    return webpush.public_key()


@register.simple_tag
def webpush_devices(user):
    """The person's devices that take push notifications ("Mes appareils")."""
    return list(access.device_subscriptions(user))
