"""Account lifecycle and the school year: block/unblock, departures, merging
duplicate accounts, and the year rollover.

Access follows from the directory rows (ent.directory.roles): a pupil whose
enrolment has `left_on` loses the pupil role, and a guardian keeps access to a
school only while one of their children is still enrolled there. So a departure
is one date on one row, and nothing else has to be revoked by hand.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ent import pagecache
from ent.directory import pagescopes
from ent.directory.auth_backends import forget_users
from ent.directory.models import (
    ActivationCode,
    AuditEntry,
    Enrollment,
    Group,
    Guardianship,
    School,
    SchoolClass,
    SchoolYear,
    StaffRole,
    TeachingAssignment,
    TerritoryAdmin,
    User,
)
from ent.directory.sessions import Reason, end_sessions_of
from ent.errors import LifecycleError

# --- Block / unblock ---------------------------------------------------------------

ROLE_PUPILS, ROLE_GUARDIANS, ROLE_TEACHERS = "pupils", "guardians", "teachers"


def select_people(people, *, school: School, role: str = "", klass: SchoolClass | None = None):
    """The people of a school by role and/or class (a bulk block targets these)."""
    pupils = Enrollment.objects.current().filter(school_class__school=school)
    if klass is not None:
        pupils = pupils.filter(school_class=klass)
    pupil_ids = pupils.values("pupil_id")
    if role == ROLE_PUPILS:
        return people.filter(id__in=pupil_ids)
    if role == ROLE_GUARDIANS:
        return people.filter(id__in=Guardianship.objects.filter(pupil_id__in=pupil_ids).values("guardian_id"))
    if role == ROLE_TEACHERS:
        teaching = TeachingAssignment.objects.filter(school_class__school=school, school_class__year__is_current=True)
        if klass is not None:
            teaching = teaching.filter(school_class=klass)
        return people.filter(id__in=teaching.values("teacher_id"))
    if klass is not None:
        return people.filter(
            Q(id__in=pupil_ids) | Q(id__in=Guardianship.objects.filter(pupil_id__in=pupil_ids).values("guardian_id"))
        )
    return people


def do_set_accounts_active(users, *, active: bool, by: User, school: School | None = None) -> int:
    """Block (or unblock) accounts: a blocked person cannot log in, and their
    sessions end at once, open sockets included. Never the acting person, never a
    territory admin (only another admin may do that, in the Django admin)."""
    ids = [u.pk if isinstance(u, User) else u for u in users]
    protected = set(TerritoryAdmin.objects.filter(user_id__in=ids).values_list("user_id", flat=True)) | {by.pk}
    targets = [i for i in ids if i not in protected]
    with transaction.atomic():
        changed = list(User.objects.filter(id__in=targets, is_active=not active).values_list("id", flat=True))
        User.objects.filter(id__in=changed).update(is_active=active)
        if changed:
            # Who may sign in and who shows in classes changed (a bulk update:
            # the action says so itself); their cached rows are forgotten.
            pagecache.bump_after_commit(pagescopes.bump_directory)
            forget_users(changed)
        if not active:
            # Signed out everywhere, sockets closed once this commits.
            end_sessions_of(changed, reason=Reason.BLOCKED)
        AuditEntry.objects.bulk_create(
            AuditEntry(actor=by, school=school, action="account.unblock" if active else "account.block", target_id=i)
            for i in changed
        )
    return len(changed)


# --- Departures --------------------------------------------------------------------


def do_record_departure(pupil: User, *, school: School, by: User, on: date | None = None) -> int:
    """The pupil leaves the school: their enrolments there end today. Their
    guardians keep access to the school only through another child still there."""
    on = on or timezone.localdate()
    with transaction.atomic():
        count = Enrollment.objects.current().filter(pupil=pupil, school_class__school=school).update(left_on=on)
        if count:
            # The pupil's classes and the guardians' children changed.
            pagecache.bump_after_commit(pagescopes.bump_directory)
            AuditEntry.objects.create(
                actor=by, school=school, action="pupil.left", target=pupil, details={"on": on.isoformat()}
            )
    return count


# --- Duplicates and merge ------------------------------------------------------------


def find_duplicates(people) -> list[tuple[User, User]]:
    """Adult accounts that look like one person imported twice: same first and
    last name and the same phone or birth date, or the same name with no contact
    at all on one side. Pairs (older account, newer account)."""
    from ent.directory.imports.parsing import fold

    adults = (
        people.exclude(id__in=Enrollment.objects.values("pupil_id"))
        .filter(is_active=True)
        .only("id", "first_name", "last_name", "email", "phone", "birth_date", "username", "date_joined")
        .order_by("id")
    )
    groups: dict = {}
    for person in adults:
        groups.setdefault((fold(person.last_name), fold(person.first_name)), []).append(person)
    pairs = []
    for same_name in groups.values():
        for i, a in enumerate(same_name):
            for b in same_name[i + 1 :]:
                if _looks_same(a, b):
                    pairs.append((a, b))
    return pairs


def _looks_same(a: User, b: User) -> bool:
    def digits(phone):
        return re.sub(r"\D", "", phone)[-9:]

    if a.email and b.email and a.email.lower() != b.email.lower():
        return False
    if a.phone and b.phone:
        return digits(a.phone) == digits(b.phone)
    if a.birth_date and b.birth_date:
        return a.birth_date == b.birth_date
    return True


def check_merge(keep: User, duplicate: User) -> None:
    if keep.pk == duplicate.pk:
        raise LifecycleError(_("Choose two different accounts."))
    if Enrollment.objects.filter(pupil__in=[keep, duplicate]).exists():
        raise LifecycleError(_("Pupil accounts cannot be merged; only adults' accounts can."))
    if not duplicate.is_active:
        raise LifecycleError(_("This account was already merged or is blocked."))
    if (
        TerritoryAdmin.objects.filter(user__in=[keep, duplicate]).exists()
        or keep.is_superuser
        or duplicate.is_superuser
    ):
        raise LifecycleError(_("Administrator accounts cannot be merged here."))


def do_merge_accounts(keep: User, duplicate: User, *, by: User) -> User:
    """One person, one account: the duplicate's children, classes, groups and
    roles move to the account kept; its contact details fill the blanks; the
    duplicate is blocked (not deleted, so what other apps recorded under it —
    messages, absence notices — stays readable)."""
    check_merge(keep, duplicate)
    with transaction.atomic():
        keep = User.objects.select_for_update().get(pk=keep.pk)
        duplicate = User.objects.select_for_update().get(pk=duplicate.pk)
        moved = {}
        have = set(Guardianship.objects.filter(guardian=keep).values_list("pupil_id", flat=True))
        links = Guardianship.objects.filter(guardian=duplicate)
        moved["children"] = links.exclude(pupil_id__in=have | {keep.pk}).update(guardian=keep)
        links.delete()
        for model, owner in ((TeachingAssignment, "teacher"), (StaffRole, "user")):
            moved[model.__name__] = 0
            for row in model.objects.filter(**{owner: duplicate}):
                setattr(row, owner, keep)
                fields = {f: getattr(row, f) for f in _unique_fields(model)}
                if not model.objects.filter(**fields).exists():
                    row.save(update_fields=[owner])
                    moved[model.__name__] += 1
                else:
                    row.delete()
        for group in Group.objects.filter(members=duplicate):
            group.members.add(keep)
            group.members.remove(duplicate)
        filled = []
        email = duplicate.email
        for name in ("phone", "external_id", "birth_date", "email"):
            if not getattr(keep, name) and getattr(duplicate, name):
                setattr(keep, name, getattr(duplicate, name))
                filled.append(name)
        duplicate.is_active = False
        duplicate.email = ""  # frees the address for the account kept (emails are unique)
        duplicate.save(update_fields=["is_active", "email"])
        if filled:
            keep.save(update_fields=filled)
        ActivationCode.objects.filter(user=duplicate).usable().update(revoked_at=timezone.now())
        # Children, classes, groups and roles moved (bulk updates and deletes).
        pagecache.bump_after_commit(pagescopes.bump_directory)
        AuditEntry.objects.create(
            actor=by,
            action="account.merge",
            target=keep,
            details={"merged": duplicate.pk, "username": duplicate.username, "email": email, "moved": moved},
        )
    return keep


def _unique_fields(model):
    if model is TeachingAssignment:
        return ("teacher", "school_class", "group", "subject")
    return ("user", "school", "role")


# --- Year rollover -------------------------------------------------------------------

PROMOTION = {"CP": "CE1", "CE1": "CE2", "CE2": "CM1", "CM1": "CM2", "6e": "5e", "5e": "4e", "4e": "3e"}
LAST_LEVELS = {"CM2", "3e"}


@dataclass
class ClassMove:
    klass: SchoolClass
    pupils: int
    new_name: str = ""  # empty: the pupils leave the school
    new_level: str = ""


@dataclass
class RolloverPlan:
    school: School
    year: SchoolYear
    next_name: str
    starts_on: date
    ends_on: date
    moves: list = field(default_factory=list)

    @property
    def leaving(self):
        return sum(m.pupils for m in self.moves if not m.new_name)

    @property
    def promoted(self):
        return sum(m.pupils for m in self.moves if m.new_name)


def _shift(day: date, years=1) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def promoted_name(name: str, level: str, new_level: str) -> str:
    """ "CE2" → "CM1", "6e A" → "5e A", "6EME 2" → "5EME 2"."""
    for old, new in ((level, new_level), (level.upper(), new_level.upper())):
        if old and name.startswith(old):
            return new + name[len(old) :]
    m = re.match(r"^([3-6])(\s*(?:e|eme|ème|EME|E)\b)(.*)$", name)
    if m and new_level[:1].isdigit():
        return new_level[0] + m.group(2) + m.group(3)
    return f"{new_level} {name}"


def plan_rollover(school: School) -> RolloverPlan:
    from ent.directory.imports.plan import infer_level

    year = school.years.filter(is_current=True).first()
    if year is None:
        raise LifecycleError(_("This school has no current school year."))
    start = year.starts_on.year + 1
    rollover = RolloverPlan(
        school=school,
        year=year,
        next_name=f"{start}-{start + 1}",
        starts_on=_shift(year.starts_on),
        ends_on=_shift(year.ends_on),
    )
    classes = SchoolClass.objects.filter(year=year).annotate(
        n=Count("enrollments", filter=Q(enrollments__left_on__isnull=True))
    )
    for klass in classes.order_by("name"):
        level = klass.level or infer_level(klass.name)
        move = ClassMove(klass=klass, pupils=klass.n)
        if level in PROMOTION:
            move.new_level = PROMOTION[level]
            move.new_name = promoted_name(klass.name, level, move.new_level)
        elif level not in LAST_LEVELS:
            # Unknown level (a mixed class "CE2/CM1", a ULIS): kept with its name,
            # the school re-sorts its pupils with the next import.
            move.new_level, move.new_name = level, klass.name
        rollover.moves.append(move)
    return rollover


def do_rollover(school: School, *, by: User | None) -> RolloverPlan:
    """Close the current year (kept, read-only), open the next one, promote each
    class with its pupils; pupils of the last level leave the school on the last
    day of the year. Teaching assignments and groups start afresh with the next
    STS import."""
    with transaction.atomic():
        School.objects.select_for_update().get(pk=school.pk)
        rollover = plan_rollover(school)
        year = rollover.year
        SchoolYear.objects.filter(pk=year.pk).update(is_current=False, is_closed=True)
        new_year, _created = SchoolYear.objects.get_or_create(
            school=school,
            name=rollover.next_name,
            defaults={"starts_on": rollover.starts_on, "ends_on": rollover.ends_on},
        )
        new_year.is_current, new_year.is_closed = True, False
        new_year.save(update_fields=["is_current", "is_closed"])
        taken = set(SchoolClass.objects.filter(year=new_year).values_list("name", flat=True))
        for move in rollover.moves:
            pupils = Enrollment.objects.filter(school_class=move.klass, left_on__isnull=True)
            if not move.new_name:
                pupils.update(left_on=year.ends_on)
                continue
            klass = SchoolClass.objects.filter(year=new_year, name=move.new_name).first()
            if klass is None:
                klass = SchoolClass.objects.create(
                    school=school, year=new_year, name=move.new_name, level=move.new_level
                )
                taken.add(klass.name)
            Enrollment.objects.bulk_create(
                [Enrollment(pupil_id=pid, school_class=klass) for pid in pupils.values_list("pupil_id", flat=True)],
                ignore_conflicts=True,
            )
        # The years, classes and enrolments of the school changed (bulk writes).
        pagecache.bump_after_commit(pagescopes.bump_directory)
        AuditEntry.objects.create(
            actor=by,
            school=school,
            action="year.rollover",
            details={
                "closed": year.name,
                "opened": new_year.name,
                "promoted": rollover.promoted,
                "left": rollover.leaving,
            },
        )
    return rollover
