"""Page-cache scope of the unread badge ("nt:<person>"): notify() and the bulk
"mark read" paths bump it (ent.notify.api, ent.notify.actions); single saves
bump it here. No receiver on delete: it would make the retention purge load
every notification it deletes, and it deletes read ones."""

from django.db.models.signals import post_save

from ent import pagecache


def _changed(sender, instance, **kwargs):
    pagecache.bump_each(pagecache.UNREAD, [instance.recipient_id])


def connect():
    from ent.notify.models import Notification

    post_save.connect(_changed, sender=Notification, dispatch_uid="pagecache-notification-save")
