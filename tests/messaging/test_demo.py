from ent.directory import demo as directory_demo
from messaging import demo
from messaging.models import Announcement, AnnouncementRecipient, Conversation


def test_demo_seed_is_idempotent(db):
    context, _created = directory_demo.write_directory()
    context.log = lambda line: None
    demo.seed(context)
    demo.seed(context)
    conversation = Conversation.objects.get(subject=demo.SUBJECT)
    assert conversation.messages.count() == 2
    assert conversation.about == context.users["eleve"]
    announcement = Announcement.objects.get(title=demo.ANNOUNCEMENT)
    assert announcement.requires_confirmation
    assert AnnouncementRecipient.objects.filter(announcement=announcement, user=context.users["parent"]).exists()
