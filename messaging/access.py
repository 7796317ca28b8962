"""Who may read what, and who may write to whom: the one place for messaging rules.

The default policy (DESIGN.md), per school:
- staff (direction, vie scolaire, référent, secretary) ↔ anyone of the school;
- teachers ↔ the pupils they teach, those pupils' families, and the school's
  adults (colleagues and staff);
- families ↔ the teachers of their children and the school office;
- pupils ↔ their teachers and the school office;
- no pupil ↔ unrelated adult; no parent ↔ other parents, except together in a
  conversation a staff member opened. A pupil and their own guardians may be
  together in a conversation a teacher or staff member opened (the messaging is
  about school: families do not start conversations with each other here).
Direction tightens it per school with SchoolPolicy (pupils may reply but not
start, parents may reply but not start, no messaging for pupils at all).

The relation is computed as a queryset of people (`writable_people`), so the
people picker offers exactly what the server accepts, and every message is
re-checked against the same function.
"""

import hashlib

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from ent import pagecache
from ent.directory.models import Enrollment, Group, Guardianship, School, StaffRole, TeachingAssignment, User
from ent.errors import ConversationClosed, PolicyError
from ent.ids import int_id_or_404
from messaging.models import (
    DEFAULT_POLICY,
    Announcement,
    AnnouncementRecipient,
    Attachment,
    Conversation,
    Message,
    Participant,
    Report,
    SchoolPolicy,
)

# Beyond this, a message to many people is an announcement.
MAX_RECIPIENTS = 30


# --- Policy -----------------------------------------------------------------


def policy_for(school_id) -> SchoolPolicy:
    return SchoolPolicy.objects.filter(school_id=school_id).first() or DEFAULT_POLICY


def _pupils_of_school(school_id):
    return Enrollment.objects.current().filter(school_class__school_id=school_id).values("pupil_id")


def _guardians_of(pupils):
    return Guardianship.objects.filter(pupil_id__in=pupils, receives_messages=True).values("guardian_id")


def _teachers_of_school(school_id):
    return TeachingAssignment.objects.filter(
        Q(school_class__school_id=school_id, school_class__year__is_current=True)
        | Q(group__school_id=school_id, group__year__is_current=True)
    ).values("teacher_id")


def _staff_of_school(school_id):
    return StaffRole.objects.filter(school_id=school_id).values("user_id")


def _teachers_of_pupils(pupil_ids, school_id):
    """Teachers of these pupils' current classes and groups in the school."""
    classes = Enrollment.objects.current().filter(pupil_id__in=pupil_ids, school_class__school_id=school_id)
    groups = Group.objects.filter(members__id__in=pupil_ids, school_id=school_id, year__is_current=True)
    return TeachingAssignment.objects.filter(
        Q(school_class_id__in=classes.values("school_class_id")) | Q(group_id__in=groups.values("id"))
    ).values("teacher_id")


def family_q(school_id) -> Q:
    """Pupils of the school and their guardians."""
    pupils = _pupils_of_school(school_id)
    return Q(id__in=pupils) | Q(id__in=_guardians_of(pupils))


def role_in_school(user, school_id) -> str | None:
    """The strongest role a person holds in a school: staff > teacher > parent > pupil."""
    roles = user.roles
    if school_id in roles.staff:
        return "staff"
    if school_id in roles.teacher_school_ids:
        return "teacher"
    if school_id in roles.children_school_ids:
        return "parent"
    if school_id in roles.pupil_school_ids:
        return "pupil"
    return None


def writable_q(user, school_id, policy=None) -> Q:
    """A Q over User: the people `user` may write to in this school by default
    policy and the school's tightening. Built from subqueries: one SQL query."""
    policy = policy or policy_for(school_id)
    roles = user.roles
    q = Q(pk__in=[])
    pupil_only = role_in_school(user, school_id) == "pupil"
    if pupil_only and not policy.pupils_may_write:
        return q
    if school_id in roles.staff:
        pupils = _pupils_of_school(school_id)
        q |= Q(id__in=pupils) | Q(id__in=_guardians_of(pupils))
        q |= Q(id__in=_teachers_of_school(school_id)) | Q(id__in=_staff_of_school(school_id))
    if school_id in roles.teacher_school_ids:
        taught = Enrollment.objects.current().filter(
            school_class_id__in=roles.taught_class_ids, school_class__school_id=school_id
        )
        taught_groups = Group.members.through.objects.filter(
            group_id__in=roles.taught_group_ids, group__school_id=school_id
        )
        pupils_q = Q(id__in=taught.values("pupil_id")) | Q(id__in=taught_groups.values("user_id"))
        q |= pupils_q
        q |= Q(id__in=_guardians_of(taught.values("pupil_id")))
        q |= Q(id__in=_guardians_of(taught_groups.values("user_id")))
        q |= Q(id__in=_teachers_of_school(school_id)) | Q(id__in=_staff_of_school(school_id))
    if school_id in roles.children_school_ids:
        kids = Enrollment.objects.current().filter(pupil_id__in=roles.child_ids, school_class__school_id=school_id)
        kid_ids = kids.values("pupil_id")
        q |= Q(id__in=_teachers_of_pupils(kid_ids, school_id)) | Q(id__in=_staff_of_school(school_id))
    if school_id in roles.pupil_school_ids:
        q |= Q(id__in=_teachers_of_pupils([user.pk], school_id)) | Q(id__in=_staff_of_school(school_id))
    if not policy.pupils_may_write:
        # Pupils are out of the messaging: nobody writes to a pupil-only account.
        q &= ~Q(id__in=_pupils_of_school(school_id)) | Q(id__in=_adults_of_school(school_id))
    return q & Q(is_active=True) & ~Q(pk=user.pk)


def _adults_of_school(school_id):
    return User.objects.filter(
        Q(id__in=_teachers_of_school(school_id))
        | Q(id__in=_staff_of_school(school_id))
        | Q(id__in=_guardians_of(_pupils_of_school(school_id)))
    ).values("id")


def messaging_schools(user) -> list[int]:
    """Schools in which this person takes part in the messaging, in a stable order."""
    return sorted(
        user.roles.staff.keys()
        | user.roles.teacher_school_ids
        | user.roles.children_school_ids
        | user.roles.pupil_school_ids
    )


def may_start(user, school_id, policy=None) -> bool:
    policy = policy or policy_for(school_id)
    role = role_in_school(user, school_id)
    if role is None:
        return False
    if role == "pupil":
        return policy.pupils_may_write and policy.pupils_may_start
    if role == "parent":
        return policy.parents_may_start
    return True


def writable_people(user):
    """Everyone this person may start a conversation with, over all their
    schools, as a User queryset (the people picker). The picker is also limited
    to the directory's visible_to, so it never shows someone the person cannot see."""
    q = Q(pk__in=[])
    for school_id in messaging_schools(user):
        policy = policy_for(school_id)
        if may_start(user, school_id, policy):
            q |= writable_q(user, school_id, policy)
    return User.objects.visible_to(user).filter(q)


def picker_people(user):
    """writable_people with what the picker shows next to each name, in a fixed
    number of queries."""
    schools = messaging_schools(user)
    return (
        writable_people(user)
        .annotate(
            is_school_staff=Exists(StaffRole.objects.filter(user=OuterRef("pk"), school_id__in=schools)),
            is_school_teacher=Exists(
                TeachingAssignment.objects.filter(teacher=OuterRef("pk")).filter(
                    Q(school_class__school_id__in=schools, school_class__year__is_current=True)
                    | Q(group__school_id__in=schools, group__year__is_current=True)
                )
            ),
            is_school_pupil=Exists(
                Enrollment.objects.current().filter(pupil=OuterRef("pk"), school_class__school_id__in=schools)
            ),
        )
        .order_by("last_name", "first_name", "id")
    )


def check_start(user, recipient_ids) -> int:
    """The school in which `user` may open a conversation with these people, or
    PolicyError. Every recipient must be writable by the sender; with several
    recipients, every pair among them must be allowed too (parents together
    only when a staff member opens the conversation)."""
    ids = {int(i) for i in recipient_ids} - {user.pk}
    if not ids:
        raise PolicyError(_("Choose at least one person to write to."))
    if len(ids) > MAX_RECIPIENTS:
        raise PolicyError(_("Too many recipients: send an announcement instead."))
    refused_start = False
    for school_id in messaging_schools(user):
        policy = policy_for(school_id)
        if not may_start(user, school_id, policy):
            refused_start = True
            continue
        allowed = set(User.objects.filter(writable_q(user, school_id, policy), id__in=ids).values_list("id", flat=True))
        if allowed != ids:
            continue
        if len(ids) > 1 and not _pairs_allowed(user, school_id, ids, policy):
            raise PolicyError(_("These people may not be put in one conversation together."))
        return school_id
    if refused_start:
        raise PolicyError(_("Your school lets you reply to conversations, not start them."))
    raise PolicyError()


def _family_links(user):
    """Q over User: this person's own guardians and own children."""
    return Q(id__in=Guardianship.objects.filter(pupil=user).values("guardian_id")) | Q(
        id__in=Guardianship.objects.filter(guardian=user).values("pupil_id")
    )


def _pairs_allowed(opener, school_id, ids, policy) -> bool:
    opener_is_staff = school_id in opener.roles.staff
    guardians = set(
        User.objects.filter(id__in=ids)
        .filter(id__in=_guardians_of(_pupils_of_school(school_id)))
        .exclude(Q(id__in=_teachers_of_school(school_id)) | Q(id__in=_staff_of_school(school_id)))
        .values_list("id", flat=True)
    )
    for person in User.objects.filter(id__in=ids):
        others = ids - {person.pk}
        if opener_is_staff and person.pk in guardians:
            others -= guardians
        if not others:
            continue
        ok = User.objects.filter(writable_q(person, school_id, policy) | _family_links(person), id__in=others).count()
        if ok != len(others):
            return False
    return True


# How long a granted write permission is remembered. Every directory or policy
# change ends it at once (see _write_check_key); this only bounds Redis memory.
WRITE_CHECK_SECONDS = 600


def _write_check_key(user, conversation, others) -> str:
    """What the permission depends on: the sender, the school, who else takes part
    and the directory's version, which every change of people, links, classes,
    roles or the school's policy bumps (ent/pagecache.py, "dir")."""
    parts = [user.pk, conversation.pk, conversation.school_id, conversation.opened_by_staff, *sorted(others)]
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"msg:may-write:{digest}:{pagecache.current_versions(pagecache.DIRECTORY)}"


def check_write(user, conversation) -> None:
    """Re-checked on every message: the sender still takes part, the conversation
    is open, and every other participant is still someone the sender may write
    to (a pupil who changed class no longer reaches the old teacher). A granted
    permission is remembered until the directory changes: re-building the policy
    cost ~20 ms per message (the benchmark issue)."""
    if conversation.is_closed:
        raise ConversationClosed()
    # The ids first (a few rows): as a subquery, PostgreSQL planned a scan of every
    # person of the territory against the policy (~9 ms with 8,000 people).
    others = list(
        Participant.objects.filter(conversation_id=conversation.pk)
        .exclude(user_id=user.pk)
        .order_by()
        .values_list("user_id", flat=True)
    )
    key = _write_check_key(user, conversation, others)
    if cache.get(key):
        return
    _check_write_policy(user, conversation, others)
    cache.set(key, True, WRITE_CHECK_SECONDS)


def _check_write_policy(user, conversation, others) -> None:
    school_id = conversation.school_id
    policy = policy_for(school_id)
    if role_in_school(user, school_id) == "pupil" and not policy.pupils_may_write:
        raise PolicyError(_("Your school has turned the messaging off for pupils."))
    # Family members an adult of the school brought together may answer each other.
    allowed = writable_q(user, school_id, policy) | _family_links(user)
    if conversation.opened_by_staff and role_in_school(user, school_id) == "parent":
        allowed |= Q(id__in=_guardians_of(_pupils_of_school(school_id)))
    if others and User.objects.filter(id__in=others).exclude(allowed).exists():
        raise PolicyError(_("You can no longer write in this conversation."))


# --- Reading ----------------------------------------------------------------


def access_conversation(user, conversation_id, *, for_write=False) -> Conversation:
    conversation_id = int_id_or_404(conversation_id)
    if not getattr(user, "is_authenticated", False):
        raise Http404
    conversation = (
        Conversation.objects.visible_to(user)
        .select_related("school", "about", "closed_by")
        .filter(id=conversation_id)
        .order_by()
        .first()
    )
    if conversation is None:
        raise Http404
    if for_write:
        check_write(user, conversation)
    return conversation


def is_moderator(user, school_id) -> bool:
    return StaffRole.Role.DIRECTION in user.roles.staff.get(school_id, ())


def access_conversation_for_moderation(user, conversation_id) -> Conversation:
    """Direction reads a conversation of its school only when a message in it was
    reported; otherwise it is private to its participants."""
    conversation_id = int_id_or_404(conversation_id)
    conversation = (
        Conversation.objects.filter(id=conversation_id, school_id__in=moderated_school_ids(user))
        .filter(Exists(Report.objects.filter(message__conversation=OuterRef("pk"))))
        .select_related("school")
        .first()
    )
    if conversation is None:
        raise Http404
    return conversation


def moderated_school_ids(user) -> frozenset:
    return user.roles.staff_school_ids(StaffRole.Role.DIRECTION)


def access_moderated_schools(user) -> frozenset:
    """The schools whose reports the person handles (the moderation page); 404
    for anyone who directs none."""
    schools = moderated_school_ids(user)
    if not schools:
        raise Http404
    return schools


def reports_visible_to(user):
    return Report.objects.filter(message__conversation__school_id__in=moderated_school_ids(user))


def access_message(user, message_id, *, for_moderation=False, for_write=False) -> Message:
    """A message of one's conversations; for moderation, a reported message of a
    school one directs. for_write (editing, deleting): its author only, 403 for
    the other participants who see it."""
    message_id = int_id_or_404(message_id)
    if for_moderation:
        qs = Message.objects.filter(
            conversation__school_id__in=moderated_school_ids(user), reports__isnull=False
        ).distinct()
    else:
        qs = Message.objects.visible_to(user)
    message = qs.select_related("conversation", "author").filter(id=message_id).first()
    if message is None:
        raise Http404
    if for_write and message.author_id != user.pk:
        raise PermissionDenied
    return message


def access_attachment(user, attachment_id) -> Attachment:
    attachment_id = int_id_or_404(attachment_id)
    attachment = (
        Attachment.objects.filter(message__in=Message.objects.visible_to(user), message__hidden="")
        .filter(id=attachment_id)
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment


def access_school_policy(user, school_id) -> School:
    """Only direction edits its school's messaging policy."""
    school_id = int_id_or_404(school_id)
    if school_id not in moderated_school_ids(user):
        raise Http404
    return School.objects.get(id=school_id)


# --- Announcements ----------------------------------------------------------

ANNOUNCERS = (StaffRole.Role.DIRECTION, StaffRole.Role.VIE_SCOLAIRE, StaffRole.Role.SECRETARY)


def may_announce(user) -> bool:
    return bool(user.roles.staff_school_ids(*ANNOUNCERS) or user.roles.is_teacher)


def announce_targets(user):
    """(classes, groups, schools) this person may address: staff of a school any
    class, group or the whole school; a teacher the classes and groups they teach."""
    from ent.directory.models import SchoolClass

    staff_schools = user.roles.staff_school_ids(*ANNOUNCERS)
    classes = SchoolClass.objects.current().filter(
        Q(school_id__in=staff_schools) | Q(id__in=user.roles.taught_class_ids)
    )
    groups = Group.objects.filter(year__is_current=True).filter(
        Q(school_id__in=staff_schools) | Q(id__in=user.roles.taught_group_ids)
    )
    schools = School.objects.filter(id__in=staff_schools)
    return classes.select_related("school"), groups.select_related("school"), schools


def access_announce_targets(user):
    """`announce_targets(user)` for the new-announcement page: 404 for who may not announce."""
    if not may_announce(user):
        raise Http404
    return announce_targets(user)


def access_announcement(
    user, announcement_id, *, for_write=False, for_reply=False, for_confirmation=False
) -> Announcement:
    """for_write: its author (reminders, who read it). for_reply: the families it
    was sent to (others who see it, like the school's staff, get 403).
    for_confirmation: those families too, and only if it asks to be confirmed."""
    announcement_id = int_id_or_404(announcement_id)
    announcement = (
        Announcement.objects.visible_to(user)
        .select_related("author", "school", "school_class", "group")
        .filter(id=announcement_id)
        .first()
    )
    if announcement is None:
        raise Http404
    if for_write and announcement.author_id != user.pk:
        # Seen by its recipients and the school's staff, changed by its author only.
        raise PermissionDenied
    if (for_reply or for_confirmation) and recipient_link(user, announcement) is None:
        raise PermissionDenied
    if for_confirmation and not announcement.requires_confirmation:
        raise PermissionDenied
    return announcement


def may_see_recipients(user, announcement) -> bool:
    """Who read and confirmed it: its author and the school's direction."""
    return announcement.author_id == user.pk or is_moderator(user, announcement.school_id)


def recipient_link(user, announcement) -> AnnouncementRecipient | None:
    return AnnouncementRecipient.objects.filter(announcement=announcement, user=user).first()


def access_report(user, report_id) -> Report:
    """A report on a message of a school one directs."""
    report = (
        reports_visible_to(user).select_related("message__conversation").filter(id=int_id_or_404(report_id)).first()
    )
    if report is None:
        raise Http404
    return report


# --- What the pages read about what was accessed ------------------------------
# The views ask here rather than build querysets: each function starts from the
# person or from an object an access_* function returned.


def inbox_links(user, *, archived=False, q=""):
    """The person's conversations (their Participant rows), newest first, each
    with its `unread` count; `q` searches subjects and visible message bodies."""
    unread = (
        Message.objects.filter(conversation=OuterRef("conversation_id"), id__gt=OuterRef("last_read_id"), hidden="")
        .exclude(author=user)
        .order_by()
        .values("conversation")
        .annotate(n=Count("id"))
        .values("n")
    )
    links = (
        Participant.objects.filter(user=user, archived=archived)
        .select_related("conversation__last_message__author", "conversation__school", "conversation__about")
        .prefetch_related(
            Prefetch("conversation__participants", queryset=Participant.objects.select_related("user").order_by("id"))
        )
        .annotate(unread=Coalesce(Subquery(unread), 0))
        .order_by("-conversation__last_message_at", "-id")
    )
    if q:
        links = links.filter(
            Q(conversation__subject__icontains=q)
            | Exists(Message.objects.filter(conversation=OuterRef("conversation_id"), hidden="", body__icontains=q))
        )
    return links


def participants_of(conversation) -> list:
    return list(Participant.objects.filter(conversation=conversation).select_related("user").order_by("id"))


def messages_of(conversation, *, before=None):
    """The conversation's messages, newest first (a page takes a slice), with their
    report counts; `before`: only those older than that message id."""
    qs = (
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .prefetch_related("attachments")
        .annotate(report_count=Count("reports"))
        .order_by("-id")
    )
    if before:
        qs = qs.filter(id__lt=before)
    return qs


def received_announcements(user):
    return (
        AnnouncementRecipient.objects.filter(user=user)
        .select_related("announcement__author", "announcement__school")
        .order_by("-announcement__created_at", "-id")
    )


def sent_announcements(user):
    """The person's own announcements, with how many received, read and confirmed them."""
    return (
        Announcement.objects.filter(author=user)
        .select_related("school", "school_class", "group")
        .annotate(
            total=Count("recipients"),
            confirmed=Count("recipients", filter=Q(recipients__confirmed_at__isnull=False)),
            read=Count("recipients", filter=Q(recipients__read_at__isnull=False)),
        )
        .order_by("-created_at", "-id")
    )


def recipients_of(announcement):
    """Who it was sent to, those yet to confirm or read first (see may_see_recipients)."""
    return (
        AnnouncementRecipient.objects.filter(announcement=announcement)
        .select_related("user")
        .order_by("confirmed_at", "read_at", "user__last_name", "user__first_name")
    )


def about_children(user):
    """The children a parent's new conversation may be about: their own, never
    another family's (the directory's links)."""
    return User.objects.filter(id__in=user.roles.child_ids).order_by("first_name", "last_name", "id")


def teaching_labels(user, people) -> dict:
    """teacher id -> what they teach, for the people picker: "mathématiques,
    6e A" (a parent sees the classes of their own children first, or all the
    teacher's current classes when none is theirs). Three queries, whatever the
    number of people."""
    schools = messaging_schools(user)
    rows = (
        TeachingAssignment.objects.filter(teacher_id__in=[p.pk for p in people])
        .filter(
            Q(school_class__school_id__in=schools, school_class__year__is_current=True)
            | Q(group__school_id__in=schools, group__year__is_current=True)
        )
        .select_related("subject", "school_class", "group")
        .order_by("subject__name", "school_class__name", "group__name", "id")
    )
    mine = _children_class_and_group_ids(user)
    by_teacher: dict = {}
    for row in rows:
        target = ("c", row.school_class_id) if row.school_class_id else ("g", row.group_id)
        subject = row.subject.name if row.subject else ""
        name = (row.school_class or row.group).name
        by_teacher.setdefault(row.teacher_id, []).append((target in mine, subject, name))
    labels = {}
    for teacher_id, items in by_teacher.items():
        shown = [i for i in items if i[0]] or items
        by_subject: dict = {}
        for _is_mine, subject, name in shown:
            names = by_subject.setdefault(subject, [])
            # A group named after its subject ("Latin") need not be said twice.
            if name not in names and name != subject:
                names.append(name)
        labels[teacher_id] = "; ".join(
            ", ".join(([subject] if subject else []) + names) for subject, names in by_subject.items()
        )
    return labels


def _children_class_and_group_ids(user) -> set:
    roles = user.roles
    if not roles.child_ids:
        return set()
    classes = (
        Enrollment.objects.current().filter(pupil_id__in=roles.child_ids).values_list("school_class_id", flat=True)
    )
    groups = Group.members.through.objects.filter(user_id__in=roles.child_ids).values_list("group_id", flat=True)
    return {("c", i) for i in classes} | {("g", i) for i in groups}


def children_related_to(children, recipient_ids) -> set:
    """Which of these children the recipients deal with: teachers of their
    class or group, staff of their school. Used to tell, when a parent did
    not say, which child a message is about (only when the answer is one)."""
    child_ids = [c.pk for c in children]
    recipient_ids = [int(i) for i in recipient_ids]
    if not child_ids or not recipient_ids:
        return set()
    taught = TeachingAssignment.objects.filter(teacher_id__in=recipient_ids)
    taught_classes = set(taught.exclude(school_class_id=None).values_list("school_class_id", flat=True))
    taught_groups = set(taught.exclude(group_id=None).values_list("group_id", flat=True))
    staff_schools = set(StaffRole.objects.filter(user_id__in=recipient_ids).values_list("school_id", flat=True))
    related = set()
    for pupil_id, class_id, school_id in (
        Enrollment.objects.current()
        .filter(pupil_id__in=child_ids)
        .values_list("pupil_id", "school_class_id", "school_class__school_id")
    ):
        if class_id in taught_classes or school_id in staff_schools:
            related.add(pupil_id)
    for pupil_id, group_id in Group.members.through.objects.filter(user_id__in=child_ids).values_list(
        "user_id", "group_id"
    ):
        if group_id in taught_groups:
            related.add(pupil_id)
    return related


def can_edit_message(user, message, conversation=None) -> bool:
    """The author changes or deletes their own message while it is shown and
    the conversation is open. `conversation`: the message's, when the caller
    already holds it (a page of messages: no query per message)."""
    conversation = conversation or message.conversation
    return message.author_id == user.pk and not message.is_hidden and not conversation.is_closed
