"""Page-cache scope of the inbox: "msg:<person>". Every messaging write that
changes what a person's inbox shows already pushes to that person
(live.push_on_commit), so the push is where the scope is bumped; archiving (no
push) bumps in its action. The school's policy is part of "dir" (messaging's
write-permission cache keys on it): do_set_policy bumps that. No signal
receivers: messaging's models have no admin, and a conversation is deleted only
with its school, whose delete bumps "dir" (every cached page depends on it).
"""

from ent import pagecache

SCOPE = "msg"


def inbox_scopes(request, *args, **kwargs):
    return [pagecache.scope(SCOPE, request.user.pk)]


def bump_people(user_ids) -> None:
    pagecache.bump_each(SCOPE, user_ids)


def policy_changed(school_id=None) -> None:
    """Who may write to whom is part of "dir" (messaging's write-permission cache)."""
    pagecache.bump(pagecache.DIRECTORY)
