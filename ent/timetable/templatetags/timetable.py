"""The home page's part of the timetable, as an inclusion tag: the home
(ent/directory) includes it without knowing how lessons are computed."""

from django import template

from ent.timetable import access

register = template.Library()


@register.inclusion_tag("timetable/_home.html", takes_context=True)
def timetable_home(context):
    request = context["request"]
    part = access.home_part(request.user, context.get("child"), memo=access.home_memo(request))
    return part | {"request": request, "csrf_token": context.get("csrf_token")}
