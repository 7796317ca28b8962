"""The fixed parts of every page's shell (ent/base.html), rendered once per
process for each language (and, for the menu, each position in it):
``{% load shell %}`` then ``{% shell_nav %}``, ``{% shell_languages %}``,
``{% shell_install %}``.

Why: the menu's links, the language choices and the install prompt's words
depend on nothing but the language, the URL configuration and which section
the page belongs to, yet rendering them was ~1.3 ms of the ~2 ms the shell
costs on every page that is not served from the page cache (six URL
reversals, a dozen translations, the language list: issue #25, the landing
page after each login). What differs between people or requests (the unread
badge, the CSRF tokens, the page's own address in the forms) stays in
base.html.

The memo is per process and bounded: the key holds the language, the URL
prefix and configuration, and the page's address only when it is one of the
menu's own links (every other page renders the menu the same way). Tests that
change settings start from an empty memo."""

import functools

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

# The menu's links (ent/templates/ent/_shell_nav.html) and the sections their
# pages mark when the page is another one of theirs.
NAV_URL_NAMES = ("home", "homework:week", "absences:home", "messaging:inbox", "media:mine")
NAV_SECTIONS = frozenset({"homework", "absences", "messaging", "media"})


def _where() -> tuple:
    return (get_language(), get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=256)
def _nav_paths(where) -> frozenset:
    paths = set()
    for name in NAV_URL_NAMES:
        try:
            paths.add(reverse(name))
        except NoReverseMatch:  # an app left out of this installation: no link
            continue
    return frozenset(paths)


@functools.lru_cache(maxsize=256)
def _fragment(name, where, **context) -> str:
    # A template file ends with a newline the shell's own layout already has.
    return mark_safe(render_to_string(name, context).removesuffix("\n"))  # noqa: S308 (our templates, no user text)


def _forget(**kwargs):
    _nav_paths.cache_clear()
    _fragment.cache_clear()


setting_changed.connect(_forget, dispatch_uid="ent-shell-fragments")


@register.simple_tag(takes_context=True)
def shell_nav(context):
    request = context.get("request")
    where = _where()
    match = getattr(request, "resolver_match", None)
    section = match.namespace if match is not None and match.namespace in NAV_SECTIONS else ""
    path = getattr(request, "path", "")
    path = path if path in _nav_paths(where) else ""
    return _fragment("ent/_shell_nav.html", where, path=path, section=section)


@register.simple_tag
def shell_languages():
    return _fragment("ent/_shell_languages.html", _where())


@register.simple_tag(takes_context=True)
def shell_install(context):
    user = context.get("user")
    signed_in = bool(user is not None and user.is_authenticated)
    return _fragment("ent/_shell_install.html", _where(), signed_in=signed_in)
