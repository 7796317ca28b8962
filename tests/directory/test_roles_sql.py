"""The roles query is written in SQL (ent/directory/roles.py, for its CPU cost):
here the same rules written with the ORM are the oracle, for every persona and
for the links that must not count (a pupil who left, last year's class, group
and teaching)."""

from datetime import date

import pytest
from django.db.models import BigIntegerField, CharField, F, IntegerField, Value
from django.db.models.functions import Cast, Concat

from ent.directory.models import (
    Enrollment,
    Group,
    SchoolYear,
    StaffRole,
    TeachingAssignment,
    TerritoryAdmin,
)
from ent.directory.roles import _roles_from_rows, _roles_rows
from tests.factories import enroll, make_class, make_group, make_pupil, teach

pytestmark = pytest.mark.django_db


def _orm_rows(user):
    """The rules as the ORM states them (what the SQL replaced)."""

    def row(qs, kind, a, b, c, d=0):
        def col(expr):
            if isinstance(expr, int):
                return Value(expr, output_field=BigIntegerField())
            return F(expr) if isinstance(expr, str) else expr

        kind_expr = kind if not isinstance(kind, str) else Value(kind, output_field=CharField())
        columns = {"k": kind_expr, "a": col(a), "b": col(b), "c": col(c), "d": col(d)}
        return qs.order_by().annotate(**columns).values_list("k", "a", "b", "c", "d")

    parts = [
        row(Enrollment.objects.current().filter(pupil=user), "E", "school_class_id", "school_class__school_id", 0),
        row(Group.objects.filter(members=user, year__is_current=True), "G", "id", "school_id", 0),
        row(
            Enrollment.objects.current().filter(pupil__guardians_links__guardian=user),
            "C",
            "pupil_id",
            "school_class__school_id",
            "school_class_id",
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
    return list(parts[0].union(*parts[1:], all=True))


def _both(user):
    return _roles_from_rows(user.pk, _roles_rows(user.pk)), _roles_from_rows(user.pk, _orm_rows(user))


def test_every_persona_gets_the_same_roles_as_the_orm_rules(world):
    seen = set()
    for name, user in world.personas().items():
        sql, orm = _both(user)
        assert sql == orm, name
        seen |= {sql.is_pupil and "pupil", sql.is_parent and "parent", sql.is_teacher and "teacher"}
        seen |= {sql.is_staff and "staff", sql.is_admin and "admin", bool(sql.justify_child_ids) and "justify"}
    # The table covers every kind of role, so each branch of the query was used.
    assert {"pupil", "parent", "teacher", "staff", "admin", "justify"} <= seen


def test_links_that_ended_or_belong_to_last_year_do_not_count(world):
    school = world.school
    last_year = SchoolYear.objects.create(
        school=school, name="2020-2021", starts_on=date(2020, 9, 1), ends_on=date(2021, 7, 5), is_current=False
    )
    old_class = make_class(school, "6e Z", "6e")
    old_class.year = last_year
    old_class.save()
    old_group = make_group(school, "Grec")
    old_group.year = last_year
    old_group.save()
    left = make_pupil(world.klass, "parti_t")
    Enrollment.objects.filter(pupil=left).update(left_on=date(2026, 1, 5))
    enroll(world.pupil, old_class)
    old_group.members.add(world.pupil)
    teach(world.teacher, klass=old_class)
    teach(world.teacher, group=old_group)
    from tests.factories import link_guardian

    link_guardian(world.guardian, left)

    for user in (world.pupil, world.teacher, world.guardian, left):
        sql, orm = _both(user)
        assert sql == orm, user.username
    pupil_roles, _ = _both(world.pupil)
    assert old_class.id not in pupil_roles.pupil_class_ids and old_group.id not in pupil_roles.pupil_group_ids
    assert left.id not in _both(world.guardian)[0].child_ids
    assert not _both(left)[0].is_pupil
    teacher_roles, _ = _both(world.teacher)
    assert old_class.id not in teacher_roles.taught_class_ids and old_group.id not in teacher_roles.taught_group_ids


def test_a_person_without_any_link_has_no_roles(world):
    from tests.factories import make_user

    nobody = make_user("personne_t")
    sql, orm = _both(nobody)
    assert sql == orm
    assert not (sql.is_pupil or sql.is_parent or sql.is_teacher or sql.is_staff or sql.is_admin)
