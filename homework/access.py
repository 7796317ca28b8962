"""Who may see and change what in the homework diary: the one place for these rules.

Lists come from `Entry.objects.visible_to(user)` (its queryset lives in models.py,
as every app's does) and `diary_for_pupil(...)`; single objects from the
`access_*` functions, which raise Http404 both for a missing object and for one
the person may not see. A person who may see an object but
not change it (a parent on a tick, the direction on an edit form) gets
PermissionDenied (403): the page exists for them, the action does not.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from ent.directory.access import access_child
from ent.directory.models import Enrollment, Group, SchoolClass, Subject, TeachingAssignment, User
from ent.directory.roles import roles_of
from ent.ids import int_id_or_404
from ent.timetable.lessons import lessons
from homework.models import (
    READER_ROLES,
    VISA_ROLES,
    Archive,
    Attachment,
    CalendarFeed,
    Done,
    Entry,
    Revision,
    Submission,
    Visa,
)


def menu_of(user) -> dict:
    """What the homework sub-menu offers this person: the family pages (week,
    calendar) and the diaries they may open."""
    roles = user.roles
    return {
        "nav_family": roles.is_pupil or roles.is_parent,
        "nav_diaries": roles.is_teacher or bool(roles.staff_school_ids(*READER_ROLES)),
    }


# --- The pupil a family page is about ---------------------------------------------------------


def family_pupil(user, selected_child_id=None):
    """(pupil, read_only) for the week page: a pupil's own diary, or for a parent
    the child chosen in the header (request.session["child_id"]), else their
    first child by first name. None for anyone else."""
    roles = roles_of(user)
    if roles is None:
        return None
    if roles.is_pupil:
        return user, False
    if roles.is_parent:
        children = list(User.objects.filter(id__in=roles.child_ids).order_by("first_name", "id"))
        if not children:
            # A parent role whose children are all gone (left the school, account
            # closed): nothing to show, as for anyone else.
            return None
        chosen = next((c for c in children if c.id == selected_child_id), children[0])
        return chosen, True
    return None


def pupil_class_ids(user, pupil):
    """Current classes of a pupil the person may see the diary of (self or child)."""
    roles = user.roles
    if pupil.id == roles.user_id and roles.is_pupil:
        return roles.pupil_class_ids
    if pupil.id in roles.child_ids:
        return roles.child_class_ids.get(pupil.id, frozenset())
    raise Http404


def diary_for_pupil(user, pupil):
    return Entry.objects.for_pupil(pupil.id, pupil_class_ids(user, pupil))


def next_publication_for_pupil(user, pupil):
    return Entry.objects.next_publication_for_pupil(pupil.id, pupil_class_ids(user, pupil))


def access_feed_pupil(user, pupil_id, kind=CalendarFeed.Kind.HOMEWORK) -> User:
    """A person whose calendar feed of `kind` this person may hold: themselves
    (a pupil; for the timetable, a teacher too), or their child."""
    pupil_id = int_id_or_404(pupil_id)
    roles = roles_of(user)
    if roles is None:
        raise Http404
    is_self = pupil_id == roles.user_id and _may_hold_own_feed(roles, kind)
    is_child = pupil_id in roles.child_ids
    if not (is_self or is_child):
        raise Http404
    return user if is_self else User.objects.get(id=pupil_id)


def _may_hold_own_feed(roles, kind) -> bool:
    """Pupils hold their own feeds; a teacher only a timetable one (a teacher's
    work to do is not a diary of their own)."""
    if kind == CalendarFeed.Kind.TIMETABLE:
        return roles.is_pupil or roles.is_teacher
    return roles.is_pupil


def access_feed_pupils(user) -> list:
    """The calendar page's pupils; 404 for someone who has none (staff, teachers)."""
    pupils = feed_pupils(user)
    if not pupils:
        raise Http404
    return pupils


def feed_pupils(user) -> list:
    """The pupils whose feed the person may have: self (pupil) and children (parent)."""
    roles = user.roles
    pupils = []
    if roles.is_pupil:
        pupils.append(user)
    if roles.child_ids:
        pupils += list(User.objects.filter(id__in=roles.child_ids).order_by("first_name", "id"))
    return pupils


def access_feed_by_token(token, kind=CalendarFeed.Kind.HOMEWORK):
    """The live feed of `kind` behind a secret address; 404 when revoked, of
    another kind, or when its holder no longer has the right to it."""
    feed = (
        CalendarFeed.objects.select_related("pupil", "owner")
        .filter(token=str(token)[:64], kind=kind, revoked_at__isnull=True, owner__is_active=True, pupil__is_active=True)
        .first()
    )
    if feed is None:
        raise Http404
    # The address stops working when the holder loses the right to it (a child
    # leaves, a guardianship ends, a pupil leaves the school, a teacher stops
    # teaching), not only when it is revoked. child_ids holds only children
    # enrolled this year.
    if feed.owner_id != feed.pupil_id and feed.pupil_id not in feed.owner.roles.child_ids:
        raise Http404
    if feed.owner_id == feed.pupil_id and not _may_hold_own_feed(feed.owner.roles, kind):
        raise Http404
    return feed


def feed_offer(user, pupil_id, kind) -> dict | None:
    """What a page offers about `pupil_id`'s calendar address of `kind`: the
    person and this user's live feed (None when none is made yet), or None
    when this user may hold no such address (a parent's own week, staff)."""
    try:
        pupil = access_feed_pupil(user, pupil_id, kind)
    except Http404:
        return None
    return {"pupil": pupil, "feed": live_feed(user, pupil, kind)}


def live_feed(owner, pupil, kind):
    """The person's live address of `kind` for `pupil` (None: none made)."""
    return CalendarFeed.objects.filter(owner=owner, pupil=pupil, kind=kind, revoked_at__isnull=True).first()


# --- Classes and groups (a diary's "target") ---------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A class or a group: what an entry is posted for."""

    school_class: SchoolClass | None = None
    group: Group | None = None

    @property
    def obj(self):
        return self.school_class or self.group

    @property
    def slug(self):
        return f"c{self.school_class.id}" if self.school_class else f"g{self.group.id}"

    @property
    def school(self):
        return self.obj.school

    @property
    def is_group(self):
        return self.group is not None

    def entries_q(self):
        return Q(school_class_id=self.school_class.id) if self.school_class else Q(group_id=self.group.id)

    def pupil_ids(self):
        """Current pupils, as a subquery."""
        if self.school_class:
            return Enrollment.objects.current().filter(school_class_id=self.school_class.id).values("pupil_id")
        return Group.members.through.objects.filter(group_id=self.group.id).values("user_id")

    def __str__(self):
        return self.obj.name


def target_of(entry) -> Target:
    """The class or group an entry is posted for."""
    return Target(school_class=entry.school_class) if entry.school_class_id else Target(group=entry.group)


def parse_target(slug):
    slug = str(slug or "")
    if len(slug) < 2 or slug[0] not in "cg":
        raise Http404
    return slug[0], int_id_or_404(slug[1:])


def _reads_target(roles, kind, obj_id, school_id):
    if kind == "c" and obj_id in roles.taught_class_ids:
        return True
    if kind == "g" and obj_id in roles.taught_group_ids:
        return True
    return school_id in roles.staff_school_ids(*READER_ROLES)


def access_target(user, slug, *, for_write=False, for_visa=False) -> Target:
    """A class ("c12") or group ("g3") whose diary the person reads: its teachers
    and the school's direction and vie scolaire. Writing is for its teachers,
    visas for the direction."""
    kind, obj_id = parse_target(slug)
    roles = roles_of(user)
    if roles is None:
        raise Http404
    if kind == "c":
        obj = SchoolClass.objects.select_related("school", "year").filter(id=obj_id, year__is_current=True).first()
    else:
        obj = Group.objects.select_related("school", "year").filter(id=obj_id, year__is_current=True).first()
    if obj is None:
        raise Http404
    if not _reads_target(roles, kind, obj_id, obj.school_id):
        raise Http404
    if for_write and not can_write_target(user, kind, obj_id):
        raise PermissionDenied
    if for_visa and obj.school_id not in roles.staff_school_ids(*VISA_ROLES):
        raise PermissionDenied
    return Target(school_class=obj) if kind == "c" else Target(group=obj)


def can_visa(user, school) -> bool:
    """The school's direction puts visas on its diaries."""
    roles = roles_of(user)
    return roles is not None and school.id in roles.staff_school_ids(*VISA_ROLES)


def reads_school_archives(user, school) -> bool:
    """Direction and vie scolaire read every diary of their school, and its archives."""
    roles = roles_of(user)
    return roles is not None and school.id in roles.staff_school_ids(*READER_ROLES)


def can_write_target(user, kind, obj_id):
    roles = user.roles
    return obj_id in (roles.taught_class_ids if kind == "c" else roles.taught_group_ids)


def writable_targets(user) -> list[Target]:
    """The classes and groups a teacher may post for (copy destinations)."""
    roles = user.roles
    classes = SchoolClass.objects.filter(id__in=roles.taught_class_ids).select_related("school").order_by("name")
    groups = Group.objects.filter(id__in=roles.taught_group_ids).select_related("school").order_by("name")
    return [Target(school_class=c) for c in classes] + [Target(group=g) for g in groups]


def access_readable_targets(user) -> list[Target]:
    """The diaries page's classes and groups; 404 for someone who reads none."""
    targets = readable_targets(user)
    if not targets:
        raise Http404
    return targets


def readable_targets(user) -> list[Target]:
    """Every diary the person may open: taught classes and groups, and for the
    direction and vie scolaire every class and group of their school."""
    roles = roles_of(user)
    if roles is None:
        return []
    readers = roles.staff_school_ids(*READER_ROLES)
    classes = (
        SchoolClass.objects.filter(Q(id__in=roles.taught_class_ids) | Q(school_id__in=readers), year__is_current=True)
        .select_related("school")
        .order_by("school__name", "name")
    )
    groups = (
        Group.objects.filter(Q(id__in=roles.taught_group_ids) | Q(school_id__in=readers), year__is_current=True)
        .select_related("school")
        .order_by("school__name", "name")
    )
    return [Target(school_class=c) for c in classes] + [Target(group=g) for g in groups]


def subjects_for(user, target: Target):
    """Subjects a teacher may post for this class/group: those of their teaching
    assignments there, or every subject of the school for a teacher assigned
    without a subject (primary teachers teach everything)."""
    assignments = TeachingAssignment.objects.filter(
        teacher=user, school_class=target.school_class, group=target.group
    ).values_list("subject_id", flat=True)
    subject_ids = list(assignments)
    if None in subject_ids:
        return Subject.objects.filter(school_id=target.school.id)
    return Subject.objects.filter(id__in=subject_ids)


# How far "pour la prochaine séance" looks: past the longest school holidays
# inside a year (two weeks) with room to spare.
NEXT_LESSON_DAYS = 35


def next_lessons(target: Target, subject, after, limit=3) -> list:
    """The target's next lessons in `subject` after the day `after` (the day
    the work is given), held ones only: a cancelled lesson is no due date.
    The target was checked by access_target(for_write=True) before."""
    start = after + datetime.timedelta(days=1)
    end = after + datetime.timedelta(days=NEXT_LESSON_DAYS)
    if target.school_class is not None:
        found = lessons(start, end, school_class=target.school_class)
    else:
        found = lessons(start, end, group=target.group)
    subject_id = subject.id if subject is not None else None
    held = [x for x in found if not x.cancelled and (x.subject.id if x.subject else None) == subject_id]
    return held[:limit]


def due_work_by_lesson(user, found, pupil=None) -> dict:
    """The work due in each lesson of a week page, by Lesson.key: the work due
    that day in that lesson's subject, under the first such lesson of the day.
    For a pupil's week (`pupil`: the person or their child; None: the
    person's own week) their diary's work; for a teacher's own week the work
    of the classes and groups they teach. Anyone else's week shows none (a
    teacher looking up a pupil reads the class diary instead). One query."""
    if not found:
        return {}
    roles = roles_of(user)
    if roles is None:
        return {}
    if pupil is None and roles.is_pupil:
        pupil = user
    first, last = found[0].date, found[-1].date
    if pupil is not None:
        if not (pupil.id == roles.user_id and roles.is_pupil) and pupil.id not in roles.child_ids:
            return {}
        entries = diary_for_pupil(user, pupil)
    elif roles.is_teacher:
        taught = Q(school_class_id__in=roles.taught_class_ids) | Q(group_id__in=roles.taught_group_ids)
        entries = Entry.objects.visible_to(user).filter(taught)
    else:
        return {}
    entries = entries.filter(kind=Entry.Kind.WORK, due_on__gte=first, due_on__lte=last).order_by("id")
    work = {}
    for entry in entries.only("id", "title", "due_on", "subject_id", "school_class_id", "group_id"):
        work.setdefault((entry.due_on, entry.subject_id), []).append(entry)
    out = {}
    for lesson in found:
        if lesson.cancelled:
            continue
        key = (lesson.date, lesson.subject.id if lesson.subject else None)
        if key not in work:
            continue
        mine = [e for e in work[key] if pupil is not None or _for_lesson(e, lesson)]
        if mine:
            out[lesson.key] = mine
            work[key] = [e for e in work[key] if e not in mine]
    return out


def _for_lesson(entry, lesson) -> bool:
    """A teacher's entry belongs to the lesson of its own class or group."""
    if lesson.school_class is not None:
        return entry.school_class_id == lesson.school_class.id
    return entry.group_id == lesson.group.id


# --- Entries and what hangs on them ----------------------------------------------------------------


def access_entry(user, entry_id, *, for_write=False):
    """An entry the person sees. Writing (edit, copy, delete) is for its author
    while they still teach that class or group."""
    entry_id = int_id_or_404(entry_id)
    entry = (
        Entry.objects.visible_to(user)
        .select_related("school", "school_class", "group", "subject", "author")
        .filter(id=entry_id)
        .first()
    )
    if entry is None:
        raise Http404
    if for_write and not can_edit_entry(user, entry):
        raise PermissionDenied
    return entry


def can_edit_entry(user, entry) -> bool:
    if entry.author_id != user.id:
        return False
    kind = "c" if entry.school_class_id else "g"
    return can_write_target(user, kind, entry.school_class_id or entry.group_id)


def is_teacher_of(user, entry) -> bool:
    roles = user.roles
    if entry.school_class_id:
        return entry.school_class_id in roles.taught_class_ids
    return entry.group_id in roles.taught_group_ids


def can_see_history(user, entry) -> bool:
    """The edit history is for the class's teachers and the school's readers."""
    return is_teacher_of(user, entry) or entry.school_id in user.roles.staff_school_ids(*READER_ROLES)


def is_in_audience(user, entry) -> bool:
    """The person is a pupil this entry is for."""
    roles = user.roles
    if entry.school_class_id:
        return entry.school_class_id in roles.pupil_class_ids
    return entry.group_id in roles.pupil_group_ids


def access_family_pupil(user, child_id=None):
    """The pupil whose diary the API reads: `child_id` when given (the person
    themselves or one of their children, else 404), otherwise as the week page
    chooses (family_pupil); 404 for someone with no diary of their own."""
    if child_id is not None:
        return access_child(user, child_id)
    family = family_pupil(user)
    if family is None:
        raise Http404
    return family[0]


def access_pupil_entry(user, entry_id):
    """An entry the person, as a pupil, ticks or hands in. Those who may see it
    but are not its pupils (parents, teachers, direction) get 403."""
    entry = access_entry(user, entry_id)
    if not is_in_audience(user, entry):
        raise PermissionDenied
    return entry


def access_pupil_work(user, entry_id):
    """A piece of work (not a lesson summary) the person ticks as its pupil:
    a lesson has nothing to tick, so it is 404 as a missing entry is."""
    entry = access_pupil_entry(user, entry_id)
    if not entry.is_work:
        raise Http404
    return entry


def access_attachment(user, attachment_id):
    attachment_id = int_id_or_404(attachment_id)
    attachment = (
        Attachment.objects.filter(id=attachment_id, entry__in=_visible_ids(user)).select_related("entry").first()
    )
    if attachment is None:
        raise Http404
    return attachment


def _visible_ids(user):
    return Entry.objects.visible_to(user).values("id")


def access_submission(user, submission_id):
    """A hand-in: its pupil and the teachers of the class or group see it."""
    submission_id = int_id_or_404(submission_id)
    submission = Submission.objects.select_related("entry", "pupil").filter(id=submission_id).first()
    if submission is None:
        raise Http404
    own = submission.pupil_id == user.id
    if not own and not is_teacher_of(user, submission.entry):
        raise Http404
    if not _entry_visible(user, submission.entry_id):
        raise Http404
    return submission


def _entry_visible(user, entry_id) -> bool:
    return Entry.objects.visible_to(user).filter(id=entry_id).exists()


def submissions_visible_to(user, entry):
    """Hand-ins of an entry: all of them for its teachers, one's own for a pupil."""
    qs = Submission.objects.filter(entry=entry).select_related("pupil")
    if is_teacher_of(user, entry):
        return qs
    return qs.filter(pupil_id=user.id)


# --- What the pages read about an object already accessed ------------------------------------------
# The views ask here rather than build querysets: each function takes an object
# an access_* function returned (or the person), so it cannot widen what they see.


def is_done_by(pupil, entry) -> bool:
    return Done.objects.filter(entry=entry, pupil=pupil).exists()


def work_progress(entry) -> tuple[int, int]:
    """(pupils of the class or group, how many of them ticked this work)."""
    pupil_ids = target_of(entry).pupil_ids()
    return pupil_ids.count(), entry.done_marks.filter(pupil_id__in=pupil_ids).count()


def submission_rows(entry) -> list:
    """Every pupil of the class or group, with their hand-in if any (for its teachers)."""
    by_pupil = {s.pupil_id: s for s in Submission.objects.filter(entry=entry)}
    pupils = User.objects.filter(Q(id__in=target_of(entry).pupil_ids()) | Q(id__in=list(by_pupil))).order_by(
        "last_name", "first_name"
    )
    return [(p, by_pupil.get(p.id)) for p in pupils]


def revisions_of(entry) -> list:
    return list(Revision.objects.filter(entry=entry).select_related("author"))


def recent_visas(target: Target, limit=5) -> list:
    return list(
        Visa.objects.filter(school_class=target.school_class, group=target.group).select_related("signed_by")[:limit]
    )


def recent_archives(target: Target, limit=5) -> list:
    return list(Archive.objects.filter(school_class=target.school_class)[:limit])


def live_feeds(owner, pupils) -> dict:
    """The person's calendar addresses still in use, by pupil id."""
    feeds = CalendarFeed.objects.filter(
        owner=owner, pupil__in=pupils, kind=CalendarFeed.Kind.HOMEWORK, revoked_at__isnull=True
    )
    return {f.pupil_id: f for f in feeds}


def feed_entries(feed, since):
    """Work in a calendar feed: the feed's pupil's, due from `since` on."""
    return (
        Entry.objects.for_pupil(feed.pupil_id, feed.pupil.roles.pupil_class_ids)
        .filter(kind=Entry.Kind.WORK, due_on__gte=since)
        .select_related("subject")
        .order_by("due_on", "id")
    )


def access_archive(user, archive_id, *, ready=False):
    """A diary's archive, for its school's readers; ready: only once its PDF is
    made (a download of one still being prepared is 404, as a missing one)."""
    archive_id = int_id_or_404(archive_id)
    archive = Archive.objects.select_related("school_class__school").filter(id=archive_id).first()
    if archive is None:
        raise Http404
    if archive.school_class.school_id not in user.roles.staff_school_ids(*READER_ROLES):
        raise Http404
    if ready and archive.status != Archive.Status.READY:
        raise Http404
    return archive


def can_see_ticks(user, entry) -> bool:
    """Which pupils ticked a piece of work: its class's teachers and the
    school's readers (direction, vie scolaire); never families nor pupils, who
    see only their own tick."""
    return entry.is_work and can_see_history(user, entry)


@dataclass(frozen=True)
class Ticks:
    done: list  # (pupil, Done), in alphabetical order
    not_done: list  # pupils


def tick_rows(user, entry) -> Ticks | None:
    """The current pupils of the entry's class or group who ticked it and who
    did not yet, in alphabetical order; None for whoever may not see them.
    Two queries, whatever the class size."""
    if not can_see_ticks(user, entry):
        return None
    target = Target(school_class=entry.school_class) if entry.school_class_id else Target(group=entry.group)
    pupils = list(
        User.objects.filter(id__in=target.pupil_ids())
        .order_by("last_name", "first_name", "id")
        .only("id", "first_name", "last_name")
    )
    ticks = {d.pupil_id: d for d in Done.objects.filter(entry=entry, pupil_id__in=[p.id for p in pupils])}
    return Ticks(
        done=[(p, ticks[p.id]) for p in pupils if p.id in ticks],
        not_done=[p for p in pupils if p.id not in ticks],
    )
