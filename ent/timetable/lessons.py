"""The one function that turns the timetable into concrete lessons:
`lessons(start, end, person=... | school_class=... | group=... | school=...)`.

It reads the weekly slots, the A/B weeks, the one-off changes and the school
calendar (public holidays, the zone's school holidays, the school's own closed
days, the school year's bounds) in a fixed number of queries whatever the
range, and returns the lessons in time order with the changes applied and said
in words. Nothing here checks who asks: ent/timetable/access.py does, then
calls this."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ent import dates, pagecache, schoolcalendar
from ent.directory.models import Group
from ent.timetable import pagescopes
from ent.timetable.models import Change, Slot, Week, Weeks

# Never more than this many days at once (a feed asks for a term at most).
MAX_DAYS = 190


@dataclass
class Lesson:
    date: date
    starts_at: time
    ends_at: time
    school: object
    subject: object
    teachers: tuple
    school_class: object
    group: object
    room: str
    half_day: str = ""
    slot_id: int | None = None
    change_ids: list = field(default_factory=list)
    cancelled: bool = False  # cancelled, moved away, or its teacher absent and not replaced
    extra: bool = False
    # What changed, in words a parent reads ("Cours annulé", "Salle 14 au lieu de 12").
    notes: list = field(default_factory=list)

    @property
    def target(self):
        return self.school_class or self.group

    @property
    def start(self):
        return timezone.make_aware(datetime.combine(self.date, self.starts_at))

    @property
    def end(self):
        return timezone.make_aware(datetime.combine(self.date, self.ends_at))

    @property
    def changed(self):
        return bool(self.notes)

    @property
    def key(self):
        """Stable across reads: the slot and the day, or the extra lesson's change."""
        return f"s{self.slot_id}-{self.date:%Y%m%d}" if self.slot_id else f"c{self.change_ids[0]}"

    @property
    def title(self):
        subject = self.subject.name if self.subject else ""
        return " · ".join(p for p in (str(self.target.name), subject) if p)


def _day(d):
    return dates.day(d)


def _clock(t):
    return dates.clock(t)


def week_kind(day, year, rows) -> str:
    """ "A" or "B" for the week of `day`: the nearest typed week at or before
    it, alternating from there; before any typed week, alternating back from
    the first one; with none typed, the year's first week is A."""
    monday = day - timedelta(days=day.weekday())
    before = [r for r in rows if r.year_id == year.id and r.monday <= monday]
    if before:
        anchor, kind = before[-1].monday, before[-1].kind
    else:
        after = [r for r in rows if r.year_id == year.id]
        if after:
            anchor, kind = after[0].monday, after[0].kind
        else:
            anchor, kind = year.starts_on - timedelta(days=year.starts_on.weekday()), "A"
    weeks = (monday - anchor).days // 7
    return kind if weeks % 2 == 0 else ("B" if kind == "A" else "A")


def _targets_of(person):
    """The slots and extra lessons that are this person's, as Qs over Slot and
    over Change: a pupil's class and groups, a teacher's own slots and
    replacements."""
    roles = person.roles
    slot_q, extra_q = Q(pk__in=[]), Q(pk__in=[])
    if roles.pupil_class_ids or roles.pupil_group_ids:
        slot_q |= Q(school_class_id__in=roles.pupil_class_ids) | Q(group_id__in=roles.pupil_group_ids)
        extra_q |= Q(school_class_id__in=roles.pupil_class_ids) | Q(group_id__in=roles.pupil_group_ids)
    # Anyone may be named a slot's teacher or a replacement (a CPE, an assistant).
    slot_q |= Q(pk__in=Slot.objects.filter(teachers=person.pk).values("pk"))
    extra_q |= Q(teacher=person.pk)
    return slot_q, extra_q


def lessons(start, end, *, person=None, school_class=None, group=None, school=None) -> list[Lesson]:
    """The concrete lessons from start to end (both included) of a person
    (pupil: their class and groups; teacher: what they teach or replace), a
    class, a group or a whole school, in time order. Cancelled and moved-away
    lessons are kept, marked, so that pages can say so."""
    if end < start:
        return []
    if person is not None:
        slot_q, extra_q = _targets_of(person)
    elif school_class is not None:
        slot_q, extra_q = Q(school_class_id=school_class.pk), Q(school_class_id=school_class.pk)
    elif group is not None:
        slot_q, extra_q = Q(group_id=group.pk), Q(group_id=group.pk)
    elif school is not None:
        slot_q, extra_q = Q(school_id=school.pk), Q(school_id=school.pk)
    else:
        return []
    return _lessons(start, end, slot_q, extra_q, person)


def lessons_of_classes(start, end, class_ids, group_ids) -> list[Lesson]:
    """The lessons of these classes and groups together: a pupil's, when the
    pupil is named nowhere as a teacher (see day_for_home)."""
    if end < start or not (class_ids or group_ids):
        return []
    q = Q(school_class_id__in=class_ids) | Q(group_id__in=group_ids)
    return _lessons(start, end, q, q, None)


def _lessons(start, end, slot_q, extra_q, person) -> list[Lesson]:
    end = min(end, start + timedelta(days=MAX_DAYS))
    in_range = Q(date__gte=start, date__lte=end) | Q(new_date__gte=start, new_date__lte=end)
    changes = list(
        Change.objects.filter(in_range)
        .filter(
            Q(slot__in=Slot.objects.filter(slot_q).values("pk"))
            | (Q(slot__isnull=True) & extra_q)
            | (Q(kind=Change.Kind.REPLACEMENT) & Q(teacher=person.pk) if person is not None else Q(pk__in=[]))
        )
        .select_related("teacher", "subject", "school_class", "group", "school")
        .order_by("date", "id")
    )
    # Another teacher's lesson this person replaces: its slot is read too.
    replacing = {
        c.slot_id
        for c in changes
        if person is not None and c.kind == Change.Kind.REPLACEMENT and c.teacher_id == person.pk
    }
    # Only the weekdays of the range (a home's day: a fifth of the week's
    # slots), and the slots of lessons moved into it from another day.
    slot_filter = slot_q
    if (end - start).days < 6:
        moved_in = {c.slot_id for c in changes if c.kind == Change.Kind.MOVED and c.slot_id}
        weekdays = {(start + timedelta(days=i)).weekday() for i in range((end - start).days + 1)}
        slot_filter = slot_q & (Q(weekday__in=sorted(weekdays)) | Q(pk__in=moved_in))
    slots = list(
        Slot.objects.filter(slot_filter | Q(pk__in=replacing))
        .select_related("school", "year", "subject", "school_class", "group")
        .prefetch_related("teachers")
    )
    by_id = {s.pk: s for s in slots}
    years = {s.year_id: s.year for s in slots}
    # The A/B weeks matter only to a slot of one of them (most are every week).
    alternating = {s.year_id for s in slots if s.weeks != Weeks.EVERY}
    weeks = list(Week.objects.filter(year_id__in=alternating).order_by("monday")) if alternating else []
    calendars, closed = {}, {}

    def is_closed(school_obj, day):
        if school_obj.pk not in calendars:
            calendars[school_obj.pk] = schoolcalendar.school_calendar(school_obj, start, end)
        key = (school_obj.pk, day)
        if key not in closed:
            closed[key] = schoolcalendar.why_closed(day, calendar=calendars[school_obj.pk]) is not None
        return closed[key]

    of_lesson = {}
    for change in changes:
        if change.slot_id:
            of_lesson.setdefault((change.slot_id, change.date), []).append(change)

    out = []
    own_slot_ids = {s.pk for s in slots if s.pk not in replacing} | _own_among(slot_q, replacing)
    by_weekday = {}
    for slot in slots:
        if slot.pk in own_slot_ids:
            by_weekday.setdefault(slot.weekday, []).append(slot)
    day = start
    while day <= end:
        for slot in by_weekday.get(day.weekday(), ()):
            year = years[slot.year_id]
            if not (year.starts_on <= day <= year.ends_on) or is_closed(slot.school, day):
                continue
            if slot.weeks != Weeks.EVERY and week_kind(day, year, weeks) != slot.weeks:
                continue
            out.append(_apply(_of_slot(slot, day), of_lesson.get((slot.pk, day), ()), person))
        day += timedelta(days=1)
    # Replacements of another teacher's lesson, for the replacing teacher.
    if person is not None:
        for change in changes:
            if change.kind == Change.Kind.REPLACEMENT and change.teacher_id == person.pk:
                slot = by_id.get(change.slot_id)
                if slot is not None and slot.pk not in own_slot_ids and start <= change.date <= end:
                    out.append(_apply(_of_slot(slot, change.date), of_lesson.get((slot.pk, change.date), ()), person))
    for change in changes:
        if change.kind == Change.Kind.EXTRA and start <= change.date <= end:
            out.append(_extra(change))
        elif change.kind == Change.Kind.MOVED and change.new_date and start <= change.new_date <= end:
            slot = by_id.get(change.slot_id)
            if slot is not None and slot.pk in own_slot_ids:
                out.append(_moved_in(slot, change))
    out.sort(key=lambda lesson: (lesson.date, lesson.starts_at, lesson.key))
    return out


def _own_among(slot_q, replacing):
    """The slots a person replaces on a day that are their own anyway (a
    teacher named to replace on their own slot): one query, only then."""
    if not replacing:
        return set()
    return set(Slot.objects.filter(slot_q, pk__in=replacing).values_list("pk", flat=True))


def _of_slot(slot, day):
    return Lesson(
        date=day,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        school=slot.school,
        subject=slot.subject,
        teachers=tuple(slot.teachers.all()),
        school_class=slot.school_class,
        group=slot.group,
        room=slot.room,
        half_day=slot.half_day,
        slot_id=slot.pk,
    )


def _apply(lesson, changes, person):
    for change in changes:
        lesson.change_ids.append(change.pk)
        kind = change.kind
        if kind == Change.Kind.CANCELLED:
            lesson.cancelled = True
            lesson.notes.append(_("Lesson cancelled"))
        elif kind == Change.Kind.TEACHER_ABSENT:
            lesson.cancelled = True
            lesson.notes.append(_("Teacher absent"))
        elif kind == Change.Kind.REPLACEMENT and change.teacher is not None:
            lesson.cancelled = False
            lesson.teachers = (change.teacher,)
            lesson.notes.append(_("Replaced by %(name)s") % {"name": change.teacher.get_full_name()})
        elif kind == Change.Kind.ROOM and change.room:
            lesson.notes.append(_("Room %(new)s instead of %(old)s") % {"new": change.room, "old": lesson.room or "—"})
            lesson.room = change.room
        elif kind == Change.Kind.MOVED and change.new_date:
            lesson.cancelled = True
            lesson.notes.append(
                _("Moved to %(day)s at %(time)s")
                % {"day": _day(change.new_date), "time": _clock(change.starts_at or lesson.starts_at)}
            )
        if change.note:
            lesson.notes.append(change.note)
    return lesson


def _moved_in(slot, change):
    lesson = _of_slot(slot, change.new_date)
    lesson.starts_at = change.starts_at or slot.starts_at
    lesson.ends_at = change.ends_at or slot.ends_at
    lesson.room = change.room or slot.room
    lesson.change_ids.append(change.pk)
    lesson.notes.append(
        _("Moved here from %(day)s at %(time)s") % {"day": _day(change.date), "time": _clock(slot.starts_at)}
    )
    # A moved lesson's register is keyed by its new day: not the slot's.
    lesson.slot_id = None
    return lesson


def _extra(change):
    return Lesson(
        date=change.date,
        starts_at=change.starts_at,
        ends_at=change.ends_at,
        school=change.school,
        subject=change.subject,
        teachers=(change.teacher,) if change.teacher else (),
        school_class=change.school_class,
        group=change.group,
        room=change.room,
        change_ids=[change.pk],
        extra=True,
        notes=[_("Extra lesson")] + ([change.note] if change.note else []),
    )


# Today's lessons on the homes -----------------------------------------------
#
# Why cached: every home shows the person's day, and on the Monday morning
# nothing is in the page cache yet; computing the day (the changes, the slots,
# the calendar) cost ~10 ms of CPU per first home, for lessons that only
# ent/timetable/actions.py changes, and those bump the school's version
# ("tt:<school>", ent/timetable/pagescopes.py). Names (people, classes) are
# the directory's, under "dir". A school's closed days bump neither, as for
# the home pages themselves: they show within AUTH_USER_CACHE_SECONDS (the
# bound of the other directory-shaped reads kept this way, the roles first;
# 0, without Redis: computed every time).

FACTS_PREFIX = "tt:facts:v1:"
DAY_PREFIX = "tt:day:v1:"


def school_facts(school_id):
    """None when the school has no timetable at all (no slot, no change),
    else the ids of the people its timetable names as a teacher (its slots'
    teachers, its changes' replacing or extra teachers): one query, then one
    cache read while nothing of the school's timetable changes. Most schools
    of a territory start without one: their homes then read no lessons."""

    def compute():
        slots = Slot.objects.filter(school_id=school_id).order_by().values_list("teachers", flat=True)
        changes = Change.objects.filter(school_id=school_id).order_by().values_list("teacher_id", flat=True)
        rows = set(slots.union(changes))
        return frozenset(r for r in rows if r is not None) if rows else None

    return pagecache.cached_under(
        f"{FACTS_PREFIX}{school_id}",
        [pagecache.DIRECTORY, pagescopes.school_scope(school_id)],
        compute,
        settings.AUTH_USER_CACHE_SECONDS,
    )


def day_for_home(day, *, person, school_ids, class_ids, group_ids=None) -> list[Lesson]:
    """The lessons of `day` that a home shows for `person`, a pupil of these
    classes and groups (None: read here, for a parent's child) or a teacher,
    in these schools (the ones the person belongs to: an office names only its
    own school's people in its timetable). Equal to lessons(day, day,
    person=person):
    - no school with a timetable: nothing, without reading lessons;
    - a person no timetable names as a teacher (pupils, parents' children):
      the lessons of each of their classes and groups, each kept once for
      everyone in it (30 parents of a class at 8:00 share one computation);
    - else (teachers): their own, kept for them."""
    schools = sorted(school_ids)
    facts = [f for f in (school_facts(s) for s in schools) if f is not None]
    if not facts:
        return []
    # The schools are in the key as in the scopes: a value is stored with the
    # versions of the scopes it was read under, and two readers of one key
    # with different scopes would replace each other's.
    scopes = [pagecache.DIRECTORY, *(pagescopes.school_scope(s) for s in schools)]
    ttl = settings.AUTH_USER_CACHE_SECONDS
    prefix = f"{DAY_PREFIX}{day:%Y%m%d}:{get_language() or ''}:s{','.join(map(str, schools))}:"
    if any(person.pk in named for named in facts):
        return pagecache.cached_under(f"{prefix}p{person.pk}", scopes, lambda: lessons(day, day, person=person), ttl)
    if group_ids is None:
        group_ids = _groups_of(person.pk)
    targets = [(f"c{c}", [c], []) for c in sorted(class_ids)] + [(f"g{g}", [], [g]) for g in sorted(group_ids)]
    found = {}
    for name, classes, groups in targets:
        for lesson in pagecache.cached_under(
            prefix + name, scopes, lambda c=classes, g=groups: lessons_of_classes(day, day, c, g), ttl
        ):
            # A slot is of a class or of a group (slot_class_xor_group), but an
            # extra lesson may name both: one lesson.
            found.setdefault(lesson.key, lesson)
    found = list(found.values())
    found.sort(key=lambda lesson: (lesson.date, lesson.starts_at, lesson.key))
    return found


def _groups_of(pupil_id) -> frozenset:
    """A pupil's groups this year (their roles' pupil_group_ids), for a
    parent's home: one small query, kept under "dir", where the child's whole
    roles were one more UNION of seven."""
    return pagecache.cached_under(
        f"tt:groups:v1:{pupil_id}",
        [pagecache.DIRECTORY],
        lambda: frozenset(
            Group.objects.filter(members__id=pupil_id, year__is_current=True).values_list("id", flat=True)
        ),
        settings.AUTH_USER_CACHE_SECONDS,
    )
