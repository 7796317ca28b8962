"""What a person is, and where, computed in one query and cached under the
directory's version.

A person may hold several roles at once (a teacher who is also a parent, a
parent with children in two schools). Every access rule starts from these ids.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import BigIntegerField, CharField, F, IntegerField, Value
from django.db.models.functions import Cast, Concat


@dataclass(frozen=True)
class Roles:
    user_id: int | None = None
    pupil_class_ids: frozenset = frozenset()
    pupil_group_ids: frozenset = frozenset()
    pupil_school_ids: frozenset = frozenset()
    child_ids: frozenset = frozenset()
    children_school_ids: frozenset = frozenset()
    # child id -> frozenset of class ids, for per-child pages.
    child_class_ids: dict = field(default_factory=dict)
    # Children whose absences this guardian may justify (Guardianship.may_justify_absences).
    justify_child_ids: frozenset = frozenset()
    taught_class_ids: frozenset = frozenset()
    taught_group_ids: frozenset = frozenset()
    teacher_school_ids: frozenset = frozenset()
    # school id -> frozenset of StaffRole.Role values
    staff: dict = field(default_factory=dict)
    admin_territory_ids: frozenset = frozenset()

    @property
    def is_pupil(self):
        return bool(self.pupil_class_ids)

    @property
    def is_parent(self):
        return bool(self.child_ids)

    @property
    def is_teacher(self):
        return bool(self.taught_class_ids or self.taught_group_ids)

    @property
    def is_staff(self):
        return bool(self.staff)

    @property
    def is_admin(self):
        return bool(self.admin_territory_ids)

    @property
    def needs_mfa(self):
        return self.is_staff or self.is_admin

    def staff_school_ids(self, *roles):
        """Schools where the person holds any of `roles` (any staff role if none given)."""
        if not roles:
            return frozenset(self.staff)
        wanted = set(roles)
        return frozenset(sid for sid, held in self.staff.items() if held & wanted)

    @property
    def school_ids(self):
        """Every school this person belongs to, in any role."""
        return self.pupil_school_ids | self.children_school_ids | self.teacher_school_ids | frozenset(self.staff)


NO_ROLES = Roles()


ROLES_PREFIX = "roles:v1:"


def compute_roles(user) -> Roles:
    """The person's roles: from the cache while the directory's version ("dir",
    ent/pagecache.py) is the one they were computed under, else from the
    database (one query).

    Why: the roles query is a UNION of seven branches; Django builds its SQL
    again on each evaluation (~10 ms of CPU) and PostgreSQL plans it again
    (2-3 ms), on every request. Every write that can change anyone's roles
    (people, classes, groups, links, staff roles, school years) bumps "dir", in
    the actions and, for writes outside them (admin), in
    ent/directory/pagescopes.py; so a cached value is served only while no such
    write happened since it was read. The roles and the current version come in
    one cache read. settings.AUTH_USER_CACHE_SECONDS bounds how long they live
    (0: always from the database)."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return NO_ROLES
    from ent import pagecache

    ttl = settings.AUTH_USER_CACHE_SECONDS
    if not ttl:
        return _roles_from_rows(user.pk, _roles_queryset(user.pk))
    key = f"{ROLES_PREFIX}{user.pk}"
    hit, versions = pagecache.versioned_get(key, [pagecache.DIRECTORY])
    if hit is not None:
        return hit
    roles = _roles_from_rows(user.pk, _roles_queryset(user.pk))
    pagecache.versioned_set(key, roles, versions, ttl)
    return roles


def _roles_queryset(user):
    from ent.directory.models import (
        Enrollment,
        Group,
        StaffRole,
        TeachingAssignment,
        TerritoryAdmin,
    )

    def row(qs, kind, a, b, c, d=0):
        def col(expr):
            if isinstance(expr, int):
                return Value(expr, output_field=BigIntegerField())
            return F(expr) if isinstance(expr, str) else expr

        kind_expr = kind if not isinstance(kind, str) else Value(kind, output_field=CharField())
        columns = {"k": kind_expr, "a": col(a), "b": col(b), "c": col(c), "d": col(d)}
        return qs.order_by().annotate(**columns).values_list("k", "a", "b", "c", "d")

    # One UNION ALL: each branch is one kind of link, so the cost does not depend
    # on how many roles the person holds.
    parts = [
        row(Enrollment.objects.current().filter(pupil=user), "E", "school_class_id", "school_class__school_id", 0),
        row(Group.objects.filter(members=user, year__is_current=True), "G", "id", "school_id", 0),
        row(
            Enrollment.objects.current().filter(pupil__guardians_links__guardian=user),
            "C",
            "pupil_id",
            "school_class__school_id",
            "school_class_id",
            # 1 when this guardian may justify the child's absences: the same
            # guardianship row as the filter (the join is reused).
            Cast("pupil__guardians_links__may_justify_absences", IntegerField()),
        ),
        row(
            TeachingAssignment.objects.filter(teacher=user, school_class__year__is_current=True),
            "T",
            "school_class_id",
            "school_class__school_id",
            0,
        ),
        row(
            TeachingAssignment.objects.filter(teacher=user, group__year__is_current=True),
            "TG",
            "group_id",
            "group__school_id",
            0,
        ),
        row(
            StaffRole.objects.filter(user=user),
            Concat(Value("S:"), F("role"), output_field=CharField()),
            "school_id",
            0,
            0,
        ),
        row(TerritoryAdmin.objects.filter(user=user), "A", "territory_id", 0, 0),
    ]
    return parts[0].union(*parts[1:], all=True)


def _roles_from_rows(user_id, rows) -> Roles:
    acc = {k: set() for k in ("E", "ES", "G", "C", "CS", "T", "TG", "TS")}
    child_classes: dict[int, set] = {}
    staff: dict[int, set] = {}
    admin = set()
    justify = set()
    for kind, a, b, c, d in rows:
        if kind == "E":
            acc["E"].add(a)
            acc["ES"].add(b)
        elif kind == "G":
            acc["G"].add(a)
        elif kind == "C":
            acc["C"].add(a)
            acc["CS"].add(b)
            child_classes.setdefault(a, set()).add(c)
            if d:
                justify.add(a)
        elif kind == "T":
            acc["T"].add(a)
            acc["TS"].add(b)
        elif kind == "TG":
            acc["TG"].add(a)
            acc["TS"].add(b)
        elif kind.startswith("S:"):
            staff.setdefault(a, set()).add(kind[2:])
        elif kind == "A":
            admin.add(a)
    return Roles(
        user_id=user_id,
        pupil_class_ids=frozenset(acc["E"]),
        pupil_group_ids=frozenset(acc["G"]),
        pupil_school_ids=frozenset(acc["ES"]),
        child_ids=frozenset(acc["C"]),
        children_school_ids=frozenset(acc["CS"]),
        child_class_ids={k: frozenset(v) for k, v in child_classes.items()},
        justify_child_ids=frozenset(justify),
        taught_class_ids=frozenset(acc["T"]),
        taught_group_ids=frozenset(acc["TG"]),
        teacher_school_ids=frozenset(acc["TS"]),
        staff={k: frozenset(v) for k, v in staff.items()},
        admin_territory_ids=frozenset(admin),
    )
