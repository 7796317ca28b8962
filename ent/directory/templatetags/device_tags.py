"""How "Mes appareils" names a device and its last use."""

import re

from django import template
from django.utils.translation import gettext as _

from ent.directory.sessions import last_seen

register = template.Library()

# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
_BROWSERS = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
_SYSTEMS = [
    (r"iPhone|iPad", "iOS"),
    (r"Android", "Android"),
    (r"CrOS", "ChromeOS"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"Linux", "Linux"),
]


@register.filter
def device(user_agent: str) -> str:
    """ "Firefox sur Windows" from a User-Agent; the families who read this page
    do not read User-Agent strings."""
    ua = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in ua), "")
    system = next((name for mark, name in _SYSTEMS if re.search(mark, ua)), "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown device")


@register.filter
def last_use(session):
    """The session's last request (remembered by SessionActivityMiddleware), or
    when allauth last saw it (its login)."""
    return last_seen([session.session_key]).get(session.session_key) or session.last_seen_at
