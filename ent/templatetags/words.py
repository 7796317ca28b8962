"""Template filters for the product's words, dates and sizes (ent/glossary.py,
ent/dates.py, ent/words.py): ``{% load words %}`` then ``{{ event.date|day }}``,
``{{ event.date|half_day:event.half_day }}``, ``{{ notice.starts_at|span:notice.ends_at }}``,
``{{ n|size }}``, ``{{ event.state|absence_state }}``, ``{{ notice|notice_state }}``."""

from django import template

from ent import dates, glossary, words

register = template.Library()


@register.filter
def day(value):
    return dates.day(value)


@register.filter
def half_day(value, half):
    return dates.half_day(value, half)


@register.filter
def half_day_name(half):
    return dates.half_day_name(half)


@register.filter
def clock(value):
    return dates.clock(value)


@register.filter
def hours(start, end):
    return dates.hours(start, end)


@register.filter
def moment(value):
    return dates.moment(value)


@register.filter
def span(start, end):
    return dates.span(start, end)


@register.filter
def size(n):
    return words.size(n)


@register.filter(is_safe=True)
def elide(text):
    return words.elide(text)


@register.filter
def absence_state(state):
    return glossary.absence_state(state)


@register.filter
def notice_state(notice, why=""):
    """A notice (its state and, when refused, why) or a state code and why."""
    if hasattr(notice, "state"):
        return glossary.notice_state(notice.state, notice.reject_reason)
    return glossary.notice_state(notice, why or "")
