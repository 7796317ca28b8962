"""Every change of state in the messaging. HTTP views and WebSocket actions call
these same functions: validate, write in one transaction, then push and notify
on commit. The policy checks come from messaging/access.py.
"""

import logging
import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import BigIntegerField, Case, Count, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ent import files as gate
from ent import storage
from ent.celery import queue
from ent.directory.models import Enrollment, Group, Guardianship, User
from ent.errors import InvalidMessage, NotAllowed
from ent.pagecache import bump_after_commit
from ent.sanitize import linkify_text, sanitize_html
from messaging import access, live, pagescopes
from messaging.models import (
    MAX_BODY,
    MAX_SUBJECT,
    Announcement,
    AnnouncementRecipient,
    Attachment,
    Conversation,
    Message,
    Participant,
    Report,
    SchoolPolicy,
)

log = logging.getLogger(__name__)

MAX_FILES = 5
REMINDER_INTERVAL = timedelta(hours=1)
EXCERPT = 140


# --- Validation -------------------------------------------------------------


def clean_body(body, *, rich=False) -> tuple[str, str]:
    body = (body or "").strip()
    if not body:
        raise InvalidMessage(_("Write a message before sending."))
    if len(body) > MAX_BODY:
        raise InvalidMessage(_("This message is too long (%(max)d characters at most).") % {"max": MAX_BODY})
    html = sanitize_html(body) if rich else linkify_text(body)
    if rich and not html.strip():
        raise InvalidMessage(_("Write a message before sending."))
    return body, html


def clean_subject(subject) -> str:
    subject = " ".join((subject or "").split())
    if not subject:
        raise InvalidMessage(_("Give the conversation a subject."))
    if len(subject) > MAX_SUBJECT:
        raise InvalidMessage(_("The subject is too long (%(max)d characters at most).") % {"max": MAX_SUBJECT})
    return subject


def _check_files(files):
    """Every file through the one gate (ent/files.py): type by content, zip
    containers opened with a bound, the name's extension matching the content."""
    files = [f for f in files or [] if f]
    if len(files) > MAX_FILES:
        raise InvalidMessage(_("At most %(n)d files per message.") % {"n": MAX_FILES})
    return [(f, gate.check(f, gate.MESSAGE_ATTACHMENT)) for f in files]


def _store_files(checked) -> list[dict]:
    """Upload before the transaction: no row without its file. The caller deletes
    these objects if the transaction then fails (no file without its row)."""
    stored = []
    try:
        for f, ok in checked:
            key = f"messaging/{uuid.uuid4().hex}"
            gate.put(key, f, ok)
            stored.append(
                {
                    "key": key,
                    "filename": ok.filename,
                    "content_type": ok.content_type,
                    "size": ok.size,
                    "scan": gate.ScanState.HELD,
                }
            )
    except Exception:
        _discard(stored)
        raise
    return stored


def _discard(stored):
    for item in stored:
        try:
            storage.delete(item["key"])
        except Exception as exc:
            log.warning("could not delete orphan attachment %s: %s", item["key"], exc)


def _with_files(files, write):
    """Run write(stored) in a transaction after storing the files; undo the store on failure."""
    stored = _store_files(_check_files(files)) if files else []
    try:
        with transaction.atomic():
            return write(stored)
    except BaseException:
        _discard(stored)
        raise


# --- Conversations ----------------------------------------------------------


def do_start_conversation(sender, recipient_ids, subject, body, *, rich=False, about=None, files=()):
    subject = clean_subject(subject)
    body, html = clean_body(body, rich=rich)
    school_id = access.check_start(sender, recipient_ids)
    recipients = sorted({int(i) for i in recipient_ids} - {sender.pk})
    if files:
        _check_files(files)

    def write(stored):
        conversation = Conversation.objects.create(
            school_id=school_id,
            subject=subject,
            created_by=sender,
            opened_by_staff=school_id in sender.roles.staff,
            about=about,
        )
        Participant.objects.bulk_create(
            [Participant(conversation=conversation, user_id=uid) for uid in [sender.pk, *recipients]]
        )
        _add_message(sender, conversation, body, html, stored, new_conversation=True)
        return conversation

    return _with_files(files, write)


def do_send_message(sender, conversation, body, *, rich=False, files=()) -> Message:
    body, html = clean_body(body, rich=rich)
    access.check_write(sender, conversation)
    if files:
        _check_files(files)

    def write(stored):
        # Lock the conversation row: concurrent senders get increasing ids in
        # the order of last_message, and a close cannot slip in between.
        locked = Conversation.objects.select_for_update().filter(pk=conversation.pk).order_by().first()
        if locked is None:
            raise Conversation.DoesNotExist  # deleted since it was read: "not found"
        if locked.is_closed:
            raise access.ConversationClosed()
        return _add_message(sender, locked, body, html, stored)

    return _with_files(files, write)


def _add_message(sender, conversation, body, html, stored, *, new_conversation=False) -> Message:
    previous_last = conversation.last_message_id or 0
    message = Message.objects.create(conversation=conversation, author=sender, body=body, html=html)
    # Kept on the message so that serializing it for the push costs no query.
    attachments = Attachment.objects.bulk_create([Attachment(message=message, **item) for item in stored])
    for attachment in attachments:
        gate.scan_after_commit(gate.MESSAGE_ATTACHMENT, attachment)
    message._prefetched_objects_cache = {"attachments": attachments}
    Conversation.objects.filter(pk=conversation.pk).update(last_message=message, last_message_at=message.created_at)
    conversation.last_message_id = message.id
    conversation.last_message_at = message.created_at
    # The sender has read their own message; a new message brings the
    # conversation back out of everyone's archive. One statement for both.
    mine = Q(user=sender)
    Participant.objects.filter(mine | Q(archived=True), conversation=conversation).update(
        last_read_id=Case(
            When(mine, then=Value(message.id)), default=F("last_read_id"), output_field=BigIntegerField()
        ),
        last_read_at=Case(When(mine, then=Value(message.created_at)), default=F("last_read_at")),
        archived=False,
    )
    participants = list(
        Participant.objects.filter(conversation_id=conversation.pk).order_by().values_list("user_id", "last_read_id")
    )
    others = [uid for uid, _read in participants if uid != sender.pk]

    # Pushed first on commit: the open pages get the message before the
    # notification tasks are queued.
    message.author = sender
    payload = live.serialize_message(message, author_name=str(sender))
    totals = live.unread_totals(others)
    pushes = {uid: {"type": "messaging.message", "message": payload, "unread": totals[uid]} for uid in others}
    pushes[sender.pk] = {"type": "messaging.message", "message": payload}
    live.push_on_commit(pushes)
    # One notification per conversation until it is read: a burst of messages
    # does not become a burst of emails.
    first_unread = [
        uid for uid, read in participants if uid != sender.pk and (new_conversation or read >= previous_last)
    ]
    if first_unread:
        from ent.notify.api import notify

        notify(
            first_unread,
            "message.new",
            obj=message,
            child=conversation.about_id,
            context={
                "sender_name": sender.get_full_name() or sender.username,
                "conversation_title": conversation.subject,
                "excerpt": body[:EXCERPT],
                "url": reverse("messaging:conversation", args=[conversation.pk]) + f"#m{message.id}",
            },
        )

    return message


def do_mark_read(user, conversation, up_to=None) -> int:
    """Move the person's read mark forward (never back); tell the others (receipts)
    and the person's other tabs (unread count)."""
    # Read the last id from the database: the caller's object may be older than
    # the messages the person has just seen.
    last = Conversation.objects.filter(pk=conversation.pk).values_list("last_message_id", flat=True).first() or 0
    target = last if up_to is None else min(int(up_to), last)
    with transaction.atomic():
        now = timezone.now()
        moved = Participant.objects.filter(conversation=conversation, user=user, last_read_id__lt=target).update(
            last_read_id=target, last_read_at=now
        )
        if not moved:
            return target
        others = list(
            Participant.objects.filter(conversation=conversation).exclude(user=user).values_list("user_id", flat=True)
        )
        receipt = {
            "type": "messaging.receipt",
            "conversation": conversation.pk,
            "reader": {"id": user.pk, "name": str(user)},
            "up_to": target,
        }
        pushes = dict.fromkeys(others, receipt)
        pushes[user.pk] = {
            "type": "messaging.unread",
            "conversation": conversation.pk,
            "unread": live.unread_totals([user.pk])[user.pk],
            "up_to": target,
        }
        live.push_on_commit(pushes)
    return target


def do_set_archived(user, conversation, archived: bool) -> None:
    Participant.objects.filter(conversation=conversation, user=user).update(archived=archived)
    bump_after_commit(pagescopes.bump_people, [user.pk])


def do_edit_message(user, message, body) -> Message:
    if message.author_id != user.pk:
        raise NotAllowed(_("Only its author may change a message."))
    if message.is_hidden:
        raise NotAllowed(_("This message was deleted."))
    if timezone.now() > message.editable_until():
        raise NotAllowed(_("A message can only be changed in the 10 minutes after it was sent."))
    if message.conversation.is_closed:
        raise access.ConversationClosed()
    body, html = clean_body(body)
    with transaction.atomic():
        message.body, message.html, message.edited_at = body, html, timezone.now()
        message.save(update_fields=["body", "html", "edited_at"])
        _push_update(message, "messaging.edited")
    return message


def do_delete_message(user, message) -> Message:
    """The author deletes: the message is hidden, kept for the record."""
    if message.author_id != user.pk:
        raise NotAllowed(_("Only its author may delete a message."))
    return _hide(user, message, Message.Hidden.AUTHOR)


def do_hide_message(moderator, message) -> Message:
    if not access.is_moderator(moderator, message.conversation.school_id):
        raise NotAllowed()
    with transaction.atomic():
        _hide(moderator, message, Message.Hidden.MODERATION)
        Report.objects.filter(message=message, handled_at__isnull=True).update(
            handled_at=timezone.now(), handled_by=moderator
        )
    return message


def _hide(user, message, how) -> Message:
    if message.is_hidden:
        return message
    with transaction.atomic():
        message.hidden, message.hidden_at, message.hidden_by = how, timezone.now(), user
        message.save(update_fields=["hidden", "hidden_at", "hidden_by"])
        _push_update(message, "messaging.hidden")
    return message


def _push_update(message, kind):
    payload = live.serialize_message(message)
    users = Participant.objects.filter(conversation_id=message.conversation_id).values_list("user_id", flat=True)
    live.push_on_commit({uid: {"type": kind, "message": payload} for uid in users})


def do_report_message(user, message, reason) -> Report:
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise InvalidMessage(_("Say briefly why you report this message."))
    if message.author_id == user.pk:
        raise NotAllowed(_("You cannot report your own message."))
    with transaction.atomic():
        report, _created = Report.objects.get_or_create(message=message, reporter=user, defaults={"reason": reason})
    return report


def do_dismiss_report(moderator, report) -> None:
    if not access.is_moderator(moderator, report.message.conversation.school_id):
        raise NotAllowed()
    Report.objects.filter(pk=report.pk, handled_at__isnull=True).update(handled_at=timezone.now(), handled_by=moderator)


def do_close_conversation(moderator, conversation) -> Conversation:
    if not access.is_moderator(moderator, conversation.school_id):
        raise NotAllowed()
    with transaction.atomic():
        updated = Conversation.objects.filter(pk=conversation.pk, closed_at__isnull=True).update(
            closed_at=timezone.now(), closed_by=moderator
        )
        if updated:
            users = Participant.objects.filter(conversation=conversation).values_list("user_id", flat=True)
            live.push_on_commit({uid: {"type": "messaging.closed", "conversation": conversation.pk} for uid in users})
    conversation.refresh_from_db()
    return conversation


def do_set_policy(user, school, *, pupils_may_write, pupils_may_start, parents_may_start) -> SchoolPolicy:
    if not access.is_moderator(user, school.id):
        raise NotAllowed()
    policy, _created = SchoolPolicy.objects.update_or_create(
        school=school,
        defaults={
            "pupils_may_write": pupils_may_write,
            "pupils_may_start": pupils_may_start and pupils_may_write,
            "parents_may_start": parents_may_start,
            "updated_by": user,
        },
    )
    bump_after_commit(pagescopes.policy_changed, school.id)
    return policy


# --- Announcements ----------------------------------------------------------


def announcement_audience(announcement_or_target):
    """The families an announcement reaches: the guardians who receive messages of
    the pupils currently in the class, group or school."""
    a = announcement_or_target
    enrolled = Enrollment.objects.current()
    if a.audience == Announcement.Audience.CLASS:
        pupils = enrolled.filter(school_class_id=a.school_class_id).values("pupil_id")
    elif a.audience == Announcement.Audience.GROUP:
        pupils = Group.members.through.objects.filter(group_id=a.group_id).values("user_id")
    else:
        pupils = enrolled.filter(school_class__school_id=a.school_id).values("pupil_id")
    guardians = Guardianship.objects.filter(pupil_id__in=pupils, receives_messages=True).values("guardian_id")
    return User.objects.filter(id__in=guardians, is_active=True)


def do_send_announcement(author, *, title, body, audience, target, requires_confirmation=False) -> Announcement:
    """target: the SchoolClass, Group or School, already checked against announce_targets()."""
    title = clean_subject(title)
    body, html = clean_body(body)
    fields = {"audience": audience}
    if audience == Announcement.Audience.CLASS:
        fields.update(school_id=target.school_id, school_class=target)
    elif audience == Announcement.Audience.GROUP:
        fields.update(school_id=target.school_id, group=target)
    else:
        fields.update(school_id=target.id)
    with transaction.atomic():
        announcement = Announcement.objects.create(
            author=author, title=title, body=body, html=html, requires_confirmation=requires_confirmation, **fields
        )
        recipients = list(announcement_audience(announcement).exclude(pk=author.pk).values_list("id", flat=True))
        if not recipients:
            raise InvalidMessage(_("Nobody would receive this announcement: no family receives messages there."))
        AnnouncementRecipient.objects.bulk_create(
            [AnnouncementRecipient(announcement=announcement, user_id=uid) for uid in recipients]
        )
        # Pushed on commit; the notifications (rows for every family, emails,
        # SMS) are written after it by a task, so that open pages hear of the
        # announcement without waiting for them (the benchmark issue).
        summary = _announcement_payload(announcement)
        live.push_on_commit({uid: {"type": "messaging.announcement", "announcement": summary} for uid in recipients})
        transaction.on_commit(lambda: _queue_notify(announcement.id))
    return announcement


def _queue_notify(announcement_id) -> None:
    from messaging import tasks  # tasks import this module

    queue(tasks.notify_announcement, announcement_id, catch_up="messaging.notify_pending_announcements")


# The sweep leaves a just-sent announcement to its own task.
NOTIFY_GRACE = timedelta(minutes=2)


def do_notify_announcement(announcement_id) -> bool:
    """Write the families' notifications of an announcement, once (safe to run twice)."""
    with transaction.atomic():
        announcement = (
            Announcement.objects.select_for_update(of=("self",))
            .select_related("school", "author")
            .filter(id=announcement_id, notified_at__isnull=True)
            .first()
        )
        if announcement is None:
            return False
        # A queryset, read inside notify()'s own query of the people.
        _notify_announcement(announcement, User.objects.filter(id__in=announcement.recipients.values("user_id")))
        announcement.notified_at = timezone.now()
        announcement.save(update_fields=["notified_at"])
    return True


def announcements_to_notify():
    return Announcement.objects.filter(
        notified_at__isnull=True, created_at__lt=timezone.now() - NOTIFY_GRACE
    ).values_list("id", flat=True)


def _announcement_payload(a) -> dict:
    return {
        "id": a.id,
        "title": a.title,
        "author": str(a.author),
        "requires_confirmation": a.requires_confirmation,
        "url": reverse("messaging:announcement", args=[a.id]),
    }


def _notify_announcement(announcement, recipients, *, reminder=False):
    from ent.notify.api import notify

    notify(
        recipients,
        "announcement.new",
        obj=announcement,
        context={
            "title": announcement.title,
            "author_name": str(announcement.author),
            "school_name": announcement.school.name,
            "excerpt": announcement.body[:EXCERPT],
            "url": reverse("messaging:announcement", args=[announcement.id]),
            "reminder": reminder,
            "requires_confirmation": announcement.requires_confirmation,
        },
    )


def do_mark_announcement_read(user, announcement) -> None:
    AnnouncementRecipient.objects.filter(announcement=announcement, user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def do_confirm_announcement(user, announcement) -> AnnouncementRecipient:
    link = access.recipient_link(user, announcement)
    if link is None:
        raise NotAllowed(_("Only the families it was sent to can confirm an announcement."))
    if not announcement.requires_confirmation:
        raise NotAllowed(_("This announcement does not ask for a confirmation."))
    if link.confirmed_at:
        return link
    with transaction.atomic():
        now = timezone.now()
        link.confirmed_at = now
        link.read_at = link.read_at or now
        link.save(update_fields=["confirmed_at", "read_at"])
        live.push_on_commit(
            {
                announcement.author_id: {
                    "type": "messaging.confirmation",
                    "announcement": announcement.id,
                    "reader": {"id": user.pk, "name": str(user)},
                }
            }
        )
    return link


def do_remind_announcement(author, announcement) -> int:
    """Remind the families who have not confirmed (or not read, without a
    confirmation request). At most once an hour."""
    if announcement.author_id != author.pk:
        raise NotAllowed()
    now = timezone.now()
    if announcement.last_reminder_at and now - announcement.last_reminder_at < REMINDER_INTERVAL:
        raise NotAllowed(_("A reminder was sent less than an hour ago."))
    pending = AnnouncementRecipient.objects.filter(announcement=announcement)
    pending = (
        pending.filter(confirmed_at__isnull=True)
        if announcement.requires_confirmation
        else pending.filter(read_at__isnull=True)
    )
    with transaction.atomic():
        ids = list(pending.select_for_update().values_list("user_id", flat=True))
        if not ids:
            return 0
        AnnouncementRecipient.objects.filter(announcement=announcement, user_id__in=ids).update(reminded_at=now)
        Announcement.objects.filter(pk=announcement.pk).update(
            last_reminder_at=now, reminder_count=F("reminder_count") + 1
        )
        _notify_announcement(announcement, ids, reminder=True)
        summary = {**_announcement_payload(announcement), "reminder": True}
        live.push_on_commit({uid: {"type": "messaging.announcement", "announcement": summary} for uid in ids})
    return len(ids)


def do_reply_to_announcement(user, announcement, body) -> Conversation:
    """A private conversation with the author, never a reply to all. One per
    family member and announcement: a second reply goes into the same one."""
    if access.recipient_link(user, announcement) is None:
        raise NotAllowed(_("Only the families it was sent to can reply to an announcement."))
    existing = (
        Conversation.objects.filter(announcement=announcement, participants__user=user)
        .filter(participants__user_id=announcement.author_id)
        .first()
    )
    if existing:
        do_send_message(user, existing, body)
        return existing
    body, html = clean_body(body)
    allowed = User.objects.filter(access.writable_q(user, announcement.school_id), pk=announcement.author_id).exists()
    if not allowed:
        raise access.PolicyError()
    with transaction.atomic():
        conversation = Conversation.objects.create(
            school_id=announcement.school_id,
            subject=f"Re: {announcement.title}"[:MAX_SUBJECT],
            created_by=user,
            announcement=announcement,
        )
        Participant.objects.bulk_create(
            [Participant(conversation=conversation, user_id=uid) for uid in (user.pk, announcement.author_id)]
        )
        _add_message(user, conversation, body, html, [], new_conversation=True)
        do_mark_announcement_read(user, announcement)
    return conversation


def announcement_stats(announcement) -> dict:
    return AnnouncementRecipient.objects.filter(announcement=announcement).aggregate(
        total=Count("id"),
        read=Count("id", filter=Q(read_at__isnull=False)),
        confirmed=Count("id", filter=Q(confirmed_at__isnull=False)),
    )
