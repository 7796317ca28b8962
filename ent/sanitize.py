"""The one sanitizer for user rich text. Every action that stores rich text
calls sanitize_html() before saving; templates then show the stored text with
|safe only for fields that went through here (and never anything else)."""

from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "s",
        "ul",
        "ol",
        "li",
        "blockquote",
        "h3",
        "h4",
        "a",
        "code",
        "pre",
        "sub",
        "sup",
        "hr",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel", "target"], "th": ["scope"], "td": ["colspan"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
MAX_LENGTH = 100_000


def _link_attrs(attrs, new=False):
    href_key = (None, "href")
    href = attrs.get(href_key, "")
    if not href:
        return attrs
    attrs[(None, "rel")] = "noopener noreferrer nofollow"
    if href.startswith(("http://", "https://")):
        attrs[(None, "target")] = "_blank"
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_link_attrs], skip_tags={"pre", "code"})],
)

_text_cleaner = bleach.Cleaner(
    tags=frozenset({"a"}),
    attributes={"a": ["href", "rel", "target"]},
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    filters=[partial(LinkifyFilter, callbacks=[_link_attrs])],
)


def sanitize_html(value: str) -> str:
    """Rich text → safe HTML: allow-listed tags and attributes only, links made
    clickable and given rel="noopener noreferrer"."""
    if not value:
        return ""
    return _cleaner.clean(value[:MAX_LENGTH])


def linkify_text(value: str) -> str:
    """Plain text → safe HTML: everything escaped, URLs made clickable, line
    breaks kept. Store or show the result; it needs no further escaping."""
    if not value:
        return ""
    escaped = bleach.clean(value[:MAX_LENGTH], tags=set(), strip=False)
    return _text_cleaner.clean(escaped).replace("\n", "<br>")
