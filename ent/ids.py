"""The one parser for ids that come from URLs, forms and frames.

Every `access_<thing>(user, id)` takes an id a person typed or a page sent back,
so it may be anything: "12", "abc", "-3", "1e3", 10**30. PostgreSQL raises
(and the request fails with a 500) on a number that does not fit a bigint, and
an id is never zero or negative, so all of those mean "no such object": the
caller answers 404 exactly as for an id that exists but is not theirs.
"""

from django.http import Http404

# PostgreSQL's bigint, the type of every primary key here (BigAutoField).
MAX_ID = 2**63 - 1


def int_id(value) -> int | None:
    """The positive int `value` stands for, or None when it cannot be an id.

    Accepts an int or a string of ASCII digits (no sign, no spaces, no other
    scripts' digits: a URL never needs them). bool is refused: True is not id 1.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= len(str(MAX_ID)):
        number = int(value)
    else:
        return None
    if 0 < number <= MAX_ID:
        return number
    return None


def int_id_or_404(value) -> int:
    """`int_id(value)`, raising Http404 instead of returning None (for access functions)."""
    number = int_id(value)
    if number is None:
        raise Http404
    return number
