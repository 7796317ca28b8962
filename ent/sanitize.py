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
# Links: absolute https:// and mailto: only (SECURITY.md). Relative hrefs go too,
# protocol-relative ones first: `//evil.example/` is another site for the
# browser, not a path of ours, and no text people write needs a relative link.
ALLOWED_PROTOCOLS = frozenset({"https", "mailto"})
MAX_LENGTH = 100_000


def allowed_href(href: str) -> bool:
    value = (href or "").strip().lower()
    if value.startswith("mailto:"):
        return len(value) > len("mailto:")
    # "https://" then a host: not "https:///x" nor "https:\\x".
    return value.startswith("https://") and value[8:9] not in ("", "/", "\\")


def _a_attribute(tag, name, value):
    if name == "href":
        return allowed_href(value)
    return name in ("title", "rel", "target")


ALLOWED_ATTRIBUTES = {"a": _a_attribute, "th": ["scope"], "td": ["colspan"]}


def _link_attrs(attrs, new=False):
    href_key = (None, "href")
    href = attrs.get(href_key, "")
    if not href:
        return attrs
    if new and href.startswith("http://") and not attrs.get("_text", "").lower().startswith("http://"):
        # A bare "ecole.fr" the linkifier turned into http://: ask for https.
        href = attrs[href_key] = "https://" + href[len("http://") :]
    if not allowed_href(href):
        return None  # no link: the text stays, as text
    attrs[(None, "rel")] = "noopener noreferrer nofollow"
    if href.lower().startswith("https://"):
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
    attributes={"a": _a_attribute},
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
