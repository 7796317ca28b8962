"""Page-cache scope of what shows lessons: "tt:<school>", bumped by every
timetable write of that school (a handful a day: imports, changes)."""

from ent import pagecache

SCOPE = "tt"


def school_scope(school_id) -> str:
    return pagecache.scope(SCOPE, school_id)


def bump_school(school_id) -> None:
    pagecache.bump(school_scope(school_id))


def home_scopes(request) -> list:
    """The home page shows the day's lessons of every school the person
    belongs to."""
    roles = request.user.roles
    return [school_scope(sid) for sid in sorted(roles.school_ids)]
