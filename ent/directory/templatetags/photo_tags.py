"""What a pupil's page offers about the pupil's photo (ent/directory/access.py
photo_links): the view of that page is not the photos' own, so the page asks
here rather than every view passing it."""

from django import template

from ent.directory.access import photo_links

register = template.Library()


@register.simple_tag(takes_context=True)
def pupil_photo_links(context, enrollments):
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return photo_links(request.user, enrollments)
