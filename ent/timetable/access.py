"""Who may see which lessons, and the reads the timetable's pages make.

- a pupil: their own lessons (their class's and groups');
- a parent: each of their children's, never another family's;
- a teacher: their own lessons (and replacements), and the timetable of the
  classes and groups they teach;
- the school office (any staff role): everything of their school, and they
  alone record changes and import;
- anyone else, another family or another school: nothing, and 404 for a
  page about a pupil, class or slot that is not theirs.

Lists come from Slot/Change.objects.visible_to(user) (models.py); the
single objects from the access_* functions below, the same 404 for "missing"
and "not yours"."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from ent import schoolcalendar
from ent.directory.models import School, SchoolClass, StaffRole, User
from ent.directory.roles import roles_of
from ent.ids import int_id_or_404
from ent.timetable.lessons import day_for_home, lessons, week_kind
from ent.timetable.models import Change, Slot, Week


def office_school_ids(user) -> frozenset:
    """Schools whose whole timetable this person reads (any staff role)."""
    roles = roles_of(user)
    return roles.staff_school_ids() if roles is not None else frozenset()


def keeps(user, school_id) -> bool:
    """Whether this person imports and changes the school's timetable: its
    vie scolaire and direction (not the référent numérique)."""
    roles = roles_of(user)
    if roles is None:
        return False
    return school_id in roles.staff_school_ids(StaffRole.Role.VIE_SCOLAIRE, StaffRole.Role.DIRECTION)


def access_office_school(user, school_id) -> School:
    """The school, if this person keeps its timetable."""
    school_id = int_id_or_404(school_id)
    if not keeps(user, school_id):
        raise Http404
    return School.objects.get(id=school_id)


def access_pupil(user, pupil_id) -> User:
    """A pupil whose week this person may read: themselves, their child, a
    pupil they teach, a pupil of their school's office."""
    pupil_id = int_id_or_404(pupil_id)
    pupil = User.objects.pupils_visible_to(user).filter(id=pupil_id).first()
    if pupil is None:
        raise Http404
    return pupil


def access_class(user, class_id) -> SchoolClass:
    """A class whose timetable this person may read (its pupils, their
    parents, its teachers, its school's office)."""
    class_id = int_id_or_404(class_id)
    klass = SchoolClass.objects.visible_to(user).filter(id=class_id).select_related("school").first()
    if klass is None:
        raise Http404
    return klass


def access_slot(user, slot_id, *, for_write=False) -> Slot:
    slot_id = int_id_or_404(slot_id)
    slot = (
        Slot.objects.visible_to(user)
        .filter(id=slot_id)
        .select_related("school", "year", "subject", "school_class", "group")
        .first()
    )
    if slot is None:
        raise Http404
    if for_write and not keeps(user, slot.school_id):
        raise PermissionDenied
    return slot


def access_change(user, change_id, *, for_write=False) -> Change:
    change_id = int_id_or_404(change_id)
    change = Change.objects.visible_to(user).filter(id=change_id).select_related("school", "slot").first()
    if change is None:
        raise Http404
    if for_write and not keeps(user, change.school_id):
        raise PermissionDenied
    return change


def week_bounds(day):
    """Monday to Saturday of day's week (Saturday mornings exist)."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=5)


def my_lessons(user, start, end):
    """The person's own lessons: a pupil's, a teacher's (none for a parent,
    who reads each child's)."""
    if roles_of(user) is None:
        return []
    return lessons(start, end, person=user)


def my_week(user, start, end, *, chosen_child):
    """My week: a pupil's or a teacher's own; for a parent (neither pupil nor
    teacher), the child chosen in the header — `chosen_child()` gives it, called
    only for a parent (it reads the person's children). Returns (what the page
    is about, lessons)."""
    roles = roles_of(user)
    if roles is not None and roles.is_parent and not (roles.is_pupil or roles.is_teacher):
        child = chosen_child()
        if child is not None:
            pupil, found = pupil_lessons(user, child.id, start, end)
            return {"pupil": pupil}, found
    return {"own": True}, my_lessons(user, start, end)


def pupil_lessons(user, pupil_id, start, end):
    pupil = access_pupil(user, pupil_id)
    return pupil, lessons(start, end, person=pupil)


def class_lessons(user, class_id, start, end):
    klass = access_class(user, class_id)
    return klass, lessons(start, end, school_class=klass)


def teaches_lesson(user, lesson) -> bool:
    """Whether this person takes this lesson's register: one of its teachers
    (the replacement, on a replaced day), a teacher of its class or group,
    or its school's vie scolaire or direction."""
    roles = roles_of(user)
    if roles is None:
        return False
    if keeps(user, lesson.school.pk):  # vie scolaire and direction, as for registers
        return True
    if any(t.pk == user.pk for t in lesson.teachers):
        return True
    if lesson.school_class is not None:
        return lesson.school_class.pk in roles.taught_class_ids
    return lesson.group.pk in roles.taught_group_ids


def access_lesson(user, key, day=None):
    """The lesson `key` (Lesson.key: "s<slot>-<yyyymmdd>" or "c<change>") if
    this person teaches it; 404 otherwise, as for a lesson that is not held
    that day (the teacher does not teach it: no register either)."""
    today = day or timezone.localdate()
    for lesson in my_lessons(user, today, today) + _school_lessons_for_office(user, today):
        if lesson.key == key and teaches_lesson(user, lesson):
            return lesson
    raise Http404


def _school_lessons_for_office(user, day):
    out = []
    kept = [sid for sid in office_school_ids(user) if keeps(user, sid)]
    for school in School.objects.filter(id__in=kept):
        out += lessons(day, day, school=school)
    return out


def school_lessons(user, school, day):
    """A school's lessons of a day, for its office (the day dashboard)."""
    if school.pk not in office_school_ids(user):
        return []
    return lessons(day, day, school=school)


def now_and_today(user, now=None, memo=None):
    """The teacher's home: the lesson going on now (or the next one today),
    and today's lessons, cancelled ones included (said so)."""
    now = now or timezone.localtime()
    today = _today(user, now, memo) if roles_of(user) is not None else []
    held = [lesson for lesson in today if not lesson.cancelled]
    current = next((lesson for lesson in held if lesson.start <= now < lesson.end), None)
    upcoming = next((lesson for lesson in held if lesson.start > now), None)
    return {"now": current, "next": upcoming if current is None else None, "today": today}


def school_slots(user, school):
    """The school's weekly slots, for its office's change form."""
    if not keeps(user, school.pk):
        return Slot.objects.none()
    return (
        Slot.objects.filter(school=school, year__is_current=True)
        .select_related("school_class", "group", "subject")
        .order_by("weekday", "starts_at")
    )


def school_teachers(user, school):
    from django.db.models import Q

    if not keeps(user, school.pk):
        return User.objects.none()
    return (
        User.objects.filter(
            Q(teaching_assignments__school_class__school=school) | Q(teaching_assignments__group__school=school)
        )
        .distinct()
        .order_by("last_name", "first_name")
    )


def school_classes(user, school):
    if not keeps(user, school.pk):
        return SchoolClass.objects.none()
    return SchoolClass.objects.filter(school=school, year__is_current=True).order_by("name")


def school_subjects(user, school):
    from ent.directory.models import Subject

    if not keeps(user, school.pk):
        return Subject.objects.none()
    return Subject.objects.filter(school=school).order_by("name")


def school_changes(user, school, since):
    """The school's changes from `since` on, for its office."""
    if not keeps(user, school.pk):
        return Change.objects.none()
    return (
        Change.objects.filter(school=school, date__gte=since)
        .select_related("slot__school_class", "slot__group", "slot__subject", "teacher", "school_class")
        .order_by("date", "id")
    )


def school_weeks(user, school, year):
    """The year's Mondays for its office's A/B page: each week's kind as the
    lessons read it, the kind the office typed for it (None: it follows the
    alternation) and whether the whole week is holidays (the alternation
    counts those weeks too, which is why an office types the week after)."""
    if not keeps(user, school.pk):
        return []
    rows = list(Week.objects.filter(year=year).order_by("monday"))
    typed = {r.monday: r.kind for r in rows}
    calendar = schoolcalendar.school_calendar(school, year.starts_on, year.ends_on)
    out = []
    monday = year.starts_on - timedelta(days=year.starts_on.weekday())
    while monday <= year.ends_on:
        school_days = [monday + timedelta(days=n) for n in range(5)]
        out.append(
            {
                "monday": monday,
                "kind": week_kind(monday, year, rows),
                "typed": typed.get(monday),
                "holidays": all(schoolcalendar.why_closed(d, calendar=calendar) for d in school_days),
            }
        )
        monday += timedelta(days=7)
    return out


def access_current_year(school):
    """The school's current year; a school with none has no timetable to import (404)."""
    year = current_year(school)
    if year is None:
        raise Http404
    return year


def current_year(school):
    from ent.directory.models import SchoolYear

    return SchoolYear.objects.filter(school=school, is_current=True).first()


def home_memo(request) -> dict:
    """One dict per request where the home's part (its template tag) and its
    cache expiry (ent/directory/views.py) keep today's lessons, computed once."""
    return request.__dict__.setdefault("ent_timetable_today", {})


def _today(person, now, memo, guardian_roles=None):
    """Today's lessons of `person`; `memo` (a dict the caller keeps for one
    request) lets the home's part and its cache expiry share one computation.
    For a parent's child, `guardian_roles` (the parent's, computed already for
    the request) name the child's classes and schools: the child's own roles
    are not read."""
    key = (person.pk, now.date())
    if memo is not None and key in memo:
        return memo[key]
    if guardian_roles is not None:
        school_ids = guardian_roles.children_school_ids
        class_ids = guardian_roles.child_class_ids.get(person.pk, frozenset())
        group_ids = None  # read only if a school has a timetable
    else:
        roles = person.roles
        school_ids, class_ids, group_ids = roles.school_ids, roles.pupil_class_ids, roles.pupil_group_ids
    found = day_for_home(now.date(), person=person, school_ids=school_ids, class_ids=class_ids, group_ids=group_ids)
    if memo is not None:
        memo[key] = found
    return found


def home_part(user, child=None, now=None, memo=None):
    """What the home page shows of the timetable: a teacher's lesson now (or
    next) and today's; a pupil's today; a parent's chosen child's today."""
    roles = roles_of(user)
    if roles is None:
        return {}
    now = now or timezone.localtime()
    part = {}
    if roles.is_teacher:
        part |= now_and_today(user, now, memo)
        part["teacher"] = True
    elif roles.is_pupil:
        part["today"] = _today(user, now, memo)
    elif child is not None and child.pk in roles.child_ids:
        part["today"] = _today(child, now, memo, guardian_roles=roles)
        part["child"] = child
    return part


def next_change_at(user, now=None, memo=None):
    """When the home's "now" stops being true: the next start or end of one
    of the person's lessons today (None: nothing more today)."""
    now = now or timezone.localtime()
    # Signed in is enough: for a parent's chosen child, roles_of would compute
    # the child's roles, which the home's part read from the parent's.
    if not getattr(user, "is_authenticated", False):
        return None
    moments = [m for x in _today(user, now, memo) for m in (x.start, x.end) if m > now]
    return min(moments, default=None)


def feed_lessons(person, start, end):
    """The lessons of a calendar feed's person (a pupil or a teacher). The
    feed's token was checked by homework.access.access_feed_by_token, the one
    place secret addresses are decided; this only reads."""
    return lessons(start, end, person=person)
