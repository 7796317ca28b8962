"""Page-cache scope of the unread badge ("nt:<person>"): the bulk "mark read"
paths bump it in ent.notify.actions; single saves and deletes bump it here."""

from django.db.models.signals import post_delete, post_save

from ent import pagecache


def _changed(sender, instance, **kwargs):
    pagecache.bump_users("nt", [instance.recipient_id])


def connect():
    from ent.notify.models import Notification

    post_save.connect(_changed, sender=Notification, dispatch_uid="pagecache-notification-save")
    post_delete.connect(_changed, sender=Notification, dispatch_uid="pagecache-notification-delete")
