"""Page-cache scope of the inbox: "msg:<person>". Every messaging write that
changes what a person's inbox shows already pushes to that person
(live.push_on_commit), so the push is where the scope is bumped; archiving
(no push) and deletions (retention, erasure) bump here."""

from django.db.models.signals import post_delete, post_save, pre_delete

from ent import pagecache

SCOPE = "msg"


def inbox_scopes(request, *args, **kwargs):
    return [pagecache.scope(SCOPE, request.user.pk)]


def bump_people(user_ids) -> None:
    pagecache.bump_each(SCOPE, user_ids)


def _conversation_deleted(sender, instance, **kwargs):
    bump_people(instance.participants.values_list("user_id", flat=True))


def _policy_changed(sender, instance, **kwargs):
    # Who may write to whom is part of "dir" (messaging's write-permission cache).
    pagecache.bump(pagecache.DIRECTORY)


def connect():
    from messaging.models import Conversation, SchoolPolicy

    post_save.connect(_policy_changed, sender=SchoolPolicy, dispatch_uid="pagecache-policy-save")
    post_delete.connect(_policy_changed, sender=SchoolPolicy, dispatch_uid="pagecache-policy-delete")
    # pre_delete: the participants are still there to be found.
    pre_delete.connect(_conversation_deleted, sender=Conversation, dispatch_uid="pagecache-conversation-delete")
