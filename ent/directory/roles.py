"""What a person is, and where, computed in one query and cached under the
directory's version.

A person may hold several roles at once (a teacher who is also a parent, a
parent with children in two schools). Every access rule starts from these ids.
"""

import functools
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, connections, router


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


def roles_of(user):
    """The person's roles, or None for anyone not signed in (every app's
    visible_to and access functions start here)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return user.roles


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
        return _roles_from_rows(user.pk, _roles_rows(user.pk))
    key = f"{ROLES_PREFIX}{user.pk}"
    hit, versions = pagecache.versioned_get(key, [pagecache.DIRECTORY])
    if hit is not None:
        return hit
    roles = _roles_from_rows(user.pk, _roles_rows(user.pk))
    pagecache.versioned_set(key, roles, versions, ttl)
    return roles


@functools.cache
def _roles_sql() -> str:
    """The roles query, written once per process.

    Why SQL and not the ORM: on a cache miss (every first page of the morning,
    every page after a directory write) building this UNION of seven querysets
    and compiling it cost ~8 ms of CPU, more than PostgreSQL takes to run it; a
    fixed text also lets psycopg prepare it (DATABASE_PREPARED_STATEMENTS).
    Each branch is one kind of link, so the cost does not depend on how many
    roles the person holds. tests/directory/test_roles_sql.py checks it against
    the same rules written with the ORM, for every kind of person."""
    from ent.directory.models import (
        Enrollment,
        Group,
        Guardianship,
        SchoolClass,
        SchoolYear,
        StaffRole,
        TeachingAssignment,
        TerritoryAdmin,
    )

    t = {
        "enrollment": Enrollment._meta.db_table,
        "klass": SchoolClass._meta.db_table,
        "year": SchoolYear._meta.db_table,
        "grp": Group._meta.db_table,
        "members": Group.members.through._meta.db_table,
        "guardianship": Guardianship._meta.db_table,
        "teaching": TeachingAssignment._meta.db_table,
        "staff": StaffRole._meta.db_table,
        "admin": TerritoryAdmin._meta.db_table,
    }
    # The enrolments that count: current year, not left (EnrollmentQuerySet.current).
    enrolled = "{enrollment} e JOIN {klass} c ON c.id = e.school_class_id JOIN {year} y ON y.id = c.year_id"
    current = "e.left_on IS NULL AND y.is_current"
    branches = [
        "SELECT 'E', e.school_class_id, c.school_id, 0, 0 FROM {enrolled} WHERE {current} AND e.pupil_id = %s",
        "SELECT 'G', g.id, g.school_id, 0, 0 FROM {grp} g JOIN {members} m ON m.group_id = g.id "
        "JOIN {year} y ON y.id = g.year_id WHERE y.is_current AND m.user_id = %s",
        # The guardianship row of the filter also says whether this guardian may
        # justify the child's absences.
        "SELECT 'C', e.pupil_id, c.school_id, e.school_class_id, CAST(gs.may_justify_absences AS INTEGER) "
        "FROM {enrolled} JOIN {guardianship} gs ON gs.pupil_id = e.pupil_id "
        "WHERE {current} AND gs.guardian_id = %s",
        "SELECT 'T', ta.school_class_id, c.school_id, 0, 0 FROM {teaching} ta "
        "JOIN {klass} c ON c.id = ta.school_class_id JOIN {year} y ON y.id = c.year_id "
        "WHERE y.is_current AND ta.teacher_id = %s",
        "SELECT 'TG', ta.group_id, g.school_id, 0, 0 FROM {teaching} ta JOIN {grp} g ON g.id = ta.group_id "
        "JOIN {year} y ON y.id = g.year_id WHERE y.is_current AND ta.teacher_id = %s",
        "SELECT 'S:' || s.role, s.school_id, 0, 0, 0 FROM {staff} s WHERE s.user_id = %s",
        "SELECT 'A', a.territory_id, 0, 0, 0 FROM {admin} a WHERE a.user_id = %s",
    ]
    names = {k: connection.ops.quote_name(v) for k, v in t.items()}
    return " UNION ALL ".join(branches).format(enrolled=enrolled.format(**names), current=current, **names)


ROLES_BRANCHES = 7


def _roles_rows(user_id):
    from ent.directory.models import Enrollment

    with connections[router.db_for_read(Enrollment)].cursor() as cursor:
        cursor.execute(_roles_sql(), [user_id] * ROLES_BRANCHES)
        return cursor.fetchall()


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
