"""Page-cache scopes of what shows lessons: "tt:<school>" for a school's
timetable pages, bumped by every timetable write of that school (a handful a
day: imports, changes), and "tt:home" for every home page.

Why one version for the homes: a home shows the day of every school the
person belongs to, and naming those schools needs the person's roles — one
more Redis round trip on every page-cache hit of the busiest page (the hit is
one read of the page and its versions: tests/security/test_page_cache.py). A
timetable write is rare and a home expires at the next lesson's start or end
anyway, so the whole territory's homes being re-rendered after one costs less
than that read on every hit."""

from ent import pagecache

SCOPE = "tt"
HOME = pagecache.scope(SCOPE, "home")


def school_scope(school_id) -> str:
    return pagecache.scope(SCOPE, school_id)


def bump_school(school_id) -> None:
    pagecache.bump(school_scope(school_id), HOME)


def home_scopes(request) -> list:
    """The home page's own scope (see the module docstring)."""
    return [HOME]
