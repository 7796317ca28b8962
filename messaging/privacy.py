"""Messaging's part of a person's data export and of the retention purges (hooks
called by ent.directory.privacy; see its docstring for the contract).

Export: for the person and each child linked to them, the conversations they
take part in with the messages they wrote or received there (attachments by
file name, never their stored keys), the announcements they received with when
they read or confirmed them, and the reports they filed. A message hidden by the
school or its author is listed without its text unless the person wrote it.
Conversations the person is not part of are never read.

Purge: messages are kept with the accounts (deleted with them, see the privacy
page); messaging has no log of its own to purge here.
"""

from django.db.models import Prefetch

from messaging.models import AnnouncementRecipient, Conversation, Message, Report


def _iso(value):
    return value.isoformat() if value else None


def _person_data(person) -> dict:
    conversations = (
        Conversation.objects.filter(participants__user=person)
        .select_related("school")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=Message.objects.select_related("author").prefetch_related("attachments").order_by("id"),
            )
        )
        .order_by("created_at", "id")
    )
    return {
        "conversations": [
            {
                "subject": c.subject,
                "school": c.school.name,
                "started_at": _iso(c.created_at),
                "messages": [_message(m, person) for m in c.messages.all()],
            }
            for c in conversations
        ],
        "announcements": [
            {
                "title": r.announcement.title,
                "text": r.announcement.body,
                "sent_at": _iso(r.announcement.created_at),
                "read_at": _iso(r.read_at),
                "confirmed_at": _iso(r.confirmed_at),
            }
            for r in AnnouncementRecipient.objects.filter(user=person)
            .select_related("announcement")
            .order_by("announcement__created_at", "id")
        ],
        "reports": [
            {"reason": r.reason, "at": _iso(r.created_at)}
            for r in Report.objects.filter(reporter=person).order_by("created_at", "id")
        ],
    }


def _message(message, person) -> dict:
    mine = message.author_id == person.pk
    shown = mine or not message.is_hidden
    return {
        "from": message.author.get_full_name() or message.author.username,
        "written_by_this_person": mine,
        "at": _iso(message.created_at),
        "text": message.body if shown else "",
        "hidden": message.get_hidden_display() if message.is_hidden else "",
        "attachments": [a.filename for a in message.attachments.all()] if shown else [],
    }


def export(user, children) -> dict:
    return {
        **_person_data(user),
        "children": [
            {"username": child.username, "name": child.get_full_name(), **_person_data(child)} for child in children
        ],
    }


def purge(cutoff, dry_run) -> int:
    """Nothing: see the module docstring."""
    return 0
