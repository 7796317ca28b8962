"""French typography the translations alone cannot get right: élision before a
name ("d’Anne Leroy", not "de Anne Leroy") and file sizes in the units French
readers know (Ko, Mo: Django's filesizeformat says "Kio")."""

import re

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# "de" before a capitalised word starting with a vowel is always elided in
# French, and a capital after "de" in our sentences is a name (person, school,
# town). "H" and "Y" are left alone: "de Hugo" and "de Yann" are both said.
_DE_BEFORE_VOWEL = re.compile(r"\b([dD])e ([AEIOUÀÂÄÉÈÊËÎÏÔÖÛÜŒÆ])")


def elide(text) -> str:
    """The sentence with "de Anne" written "d’Anne" (French only)."""
    text = str(text)
    if not (translation.get_language() or "fr").startswith("fr"):
        return text
    return _DE_BEFORE_VOWEL.sub(r"\1’\2", text)


def size(n) -> str:
    """ "999 octets", "120,6 Ko", "1,2 Mo" / "999 bytes", "120.6 KB", "1.2 MB"."""
    n = int(n or 0)
    if n < 1024:
        return ngettext("%(n)d byte", "%(n)d bytes", n) % {"n": n}
    value = n / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return _unit(unit, value)
        value /= 1024
    return _unit("GB", value)


def _unit(unit, value) -> str:
    places = 1 if value < 100 else 0
    shown = formats.number_format(round(value, places), places)
    return {"KB": _("%(n)s KB"), "MB": _("%(n)s MB"), "GB": _("%(n)s GB")}[unit] % {"n": shown}
