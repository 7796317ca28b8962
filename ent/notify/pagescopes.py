"""Page-cache scope of the unread badge ("nt:<person>"): notify() and the bulk
"mark read" paths bump it (ent.notify.api, ent.notify.actions); single saves
bump it here. No receiver on delete: it would make the retention purge load
every notification it deletes, and it deletes read ones; the admin's deletes
(the one place outside the actions) call bump_recipients (ent/notify/admin.py)."""

from django.db.models.signals import post_save

from ent import pagecache


def bump_recipients(user_ids) -> None:
    """Their badge (and the unread count cached for it) changed."""
    from ent.cache import delete_now_and_at_commit
    from ent.notify.push import unread_keys

    user_ids = list(user_ids)
    pagecache.bump_each(pagecache.UNREAD, user_ids)
    delete_now_and_at_commit(unread_keys(user_ids))


def _changed(sender, instance, **kwargs):
    bump_recipients([instance.recipient_id])


def connect():
    from ent.notify.models import Notification

    post_save.connect(_changed, sender=Notification, dispatch_uid="pagecache-notification-save")
