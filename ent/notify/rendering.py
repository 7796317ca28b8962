"""Turn a stored notification into words, in the reader's language."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from ent.notify.api import decode_context

SMS_MAX = 300


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def absolute(url: str) -> str:
    if not url or re.match(r"^[a-z][a-z0-9+.-]*://", url):
        return url
    return settings.SITE_URL + ("" if url.startswith("/") else "/") + url


def child_label(notification) -> str:
    """ "about Léa" for a parent; nothing when the pupil reads about themselves."""
    child = notification.child
    if child is None or child.pk == notification.recipient_id:
        return ""
    return child.first_name or str(child)


def render(notification, *, language: str | None = None, for_email: bool = False) -> Rendered:
    context = decode_context(notification.context)
    child = child_label(notification)
    context.update(
        {
            "notification": notification,
            "child_name": child,
            "url": absolute(notification.url) if for_email else notification.url,
            "site_url": settings.SITE_URL,
        }
    )
    base = f"notify/kinds/{notification.kind}"
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        text = render_to_string(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
        lines = [line.rstrip() for line in text.strip().splitlines()]
        subject = re.sub(r"\s+", " ", lines[0]).strip() if lines else ""
        if child:
            subject = _("%(subject)s — %(child)s") % {"subject": subject, "child": child}
        body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines[1:]).strip())
    return Rendered(subject=subject, text=body, html=html.strip())


def sms_text(notification) -> str:
    rendered = render(notification, language=settings.LANGUAGE_CODE, for_email=True)
    text = f"ENT : {rendered.subject}"
    if notification.url:
        text += f" {absolute(notification.url)}"
    return text[:SMS_MAX]
