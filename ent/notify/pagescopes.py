"""Page-cache scope of the unread badge ("nt:<person>"), and the unread counts
cached for it. Bumped by the writes themselves through
`pagecache.bump_after_commit`: notify() (ent.notify.api), the "mark read" actions
(ent.notify.actions), the retention purge (ent.notify.privacy) and the admin
(ent/notify/admin.py, BumpsPagesAdmin). No signal receivers: the actions write
in bulk (which sends none), and a delete receiver would make the purge load
every row it deletes."""

from ent import pagecache
from ent.cache import delete_now_and_at_commit
from ent.notify.push import unread_keys


def bump_recipients(user_ids) -> None:
    """Their badge (and the unread count cached for it) changed."""
    user_ids = list(user_ids)
    pagecache.bump_each(pagecache.UNREAD, user_ids)
    delete_now_and_at_commit(unread_keys(user_ids))
