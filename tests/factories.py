"""Factories and the named personas every test suite uses.

`build_world()` makes real, demo-like rows: one territory, a secondary school
with two classes and a group, a pupil with three guardians (two legal, one
without the right to justify absences), an outsider family in the same class,
teachers, every staff role, a territory admin, and a whole second school.
"""

import itertools
from dataclasses import dataclass
from datetime import date

from ent.directory.models import (
    Enrollment,
    Group,
    Guardianship,
    School,
    SchoolClass,
    SchoolYear,
    StaffRole,
    Subject,
    TeachingAssignment,
    Territory,
    TerritoryAdmin,
    User,
)

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-9"


def make_user(username=None, *, first_name="", last_name="", email="", password=PASSWORD, **extra):
    n = next(_seq)
    username = username or f"user{n}"
    user = User(
        username=username,
        first_name=first_name or username.title(),
        last_name=last_name or "Test",
        email=email,
        **extra,
    )
    user.set_password(password)
    user.save()
    return user


def make_territory(name="Grand Test"):
    n = next(_seq)
    return Territory.objects.create(name=f"{name} {n}", slug=f"territory-{n}")


def make_school(territory, *, kind=School.Kind.SECONDARY, name=None, commune="Besançon"):
    n = next(_seq)
    school = School.objects.create(
        territory=territory, name=name or f"École {n}", uai=f"{n:07d}X"[-8:], commune=commune, kind=kind
    )
    SchoolYear.objects.create(
        school=school, name="2026-2027", starts_on=date(2026, 9, 1), ends_on=date(2027, 7, 4), is_current=True
    )
    return school


def current_year(school):
    return school.years.get(is_current=True)


def make_class(school, name=None, level=""):
    n = next(_seq)
    return SchoolClass.objects.create(school=school, year=current_year(school), name=name or f"C{n}", level=level)


def make_group(school, name=None):
    n = next(_seq)
    return Group.objects.create(school=school, year=current_year(school), name=name or f"G{n}")


def make_subject(school, code="MATH", name="Mathématiques"):
    return Subject.objects.get_or_create(school=school, code=code, defaults={"name": name})[0]


def enroll(pupil, klass):
    return Enrollment.objects.create(pupil=pupil, school_class=klass)


def make_pupil(klass, username=None, **extra):
    pupil = make_user(username, **extra)
    enroll(pupil, klass)
    return pupil


def link_guardian(guardian, pupil, **flags):
    return Guardianship.objects.create(guardian=guardian, pupil=pupil, **flags)


def teach(teacher, *, klass=None, group=None, subject=None):
    return TeachingAssignment.objects.create(teacher=teacher, school_class=klass, group=group, subject=subject)


def make_staff(school, role, username=None):
    user = make_user(username)
    StaffRole.objects.create(user=user, school=school, role=role)
    return user


@dataclass
class World:
    territory: Territory
    school: School
    klass: SchoolClass
    other_class: SchoolClass
    group: Group
    subject: Subject
    pupil: User
    guardian: User  # legal guardian, may justify
    guardian2: User  # the other (separated) legal guardian, may justify
    guardian_nojustify: User  # linked, but may not justify absences
    sibling: User  # guardian's other child, in the second school
    teacher: User  # teaches klass and group
    other_teacher: User  # teaches other_class only
    vie_scolaire: User
    direction: User
    referent: User
    admin: User
    outsider_pupil: User  # another family's child, same class as pupil
    outsider_parent: User
    other_pupil: User  # a pupil of other_class (same school)
    school_b: School
    class_b: SchoolClass
    pupil_b: User
    parent_b: User
    teacher_b: User
    staff_b: User  # direction of school_b

    def personas(self):
        """Name → user, for tables over every persona."""
        return {
            "pupil": self.pupil,
            "guardian": self.guardian,
            "guardian2": self.guardian2,
            "guardian_nojustify": self.guardian_nojustify,
            "teacher": self.teacher,
            "other_teacher": self.other_teacher,
            "vie_scolaire": self.vie_scolaire,
            "direction": self.direction,
            "referent": self.referent,
            "admin": self.admin,
            "outsider_parent": self.outsider_parent,
            "outsider_pupil": self.outsider_pupil,
            "teacher_b": self.teacher_b,
            "staff_b": self.staff_b,
            "parent_b": self.parent_b,
        }


def build_world() -> World:
    territory = make_territory()
    school = make_school(territory, kind=School.Kind.SECONDARY, name="Collège Test")
    klass = make_class(school, "6e A", "6e")
    other_class = make_class(school, "6e B", "6e")
    group = make_group(school, "Latin")
    subject = make_subject(school)

    pupil = make_pupil(klass, "eleve_t", first_name="Léa", last_name="Martin")
    guardian = make_user("parent_t", first_name="Sophie", last_name="Martin", email="sophie@example.org")
    guardian2 = make_user("parent2_t", first_name="Marc", last_name="Martin", email="marc@example.org")
    guardian_nojustify = make_user("beauparent_t", first_name="Paul", last_name="Durand")
    link_guardian(guardian, pupil, relationship="mère")
    link_guardian(guardian2, pupil, relationship="père")
    link_guardian(guardian_nojustify, pupil, is_legal_guardian=False, may_justify_absences=False)
    group.members.add(pupil)

    teacher = make_user("prof_t", first_name="Anne", last_name="Leroy", email="anne@example.org")
    teach(teacher, klass=klass, subject=subject)
    teach(teacher, group=group, subject=make_subject(school, "LAT", "Latin"))
    other_teacher = make_user("prof_autre_t", first_name="Yves", last_name="Roux")
    teach(other_teacher, klass=other_class, subject=subject)
    other_pupil = make_pupil(other_class, "eleve_b_t", first_name="Tom", last_name="Petit")

    vie_scolaire = make_staff(school, StaffRole.Role.VIE_SCOLAIRE, "cpe_t")
    direction = make_staff(school, StaffRole.Role.DIRECTION, "direction_t")
    referent = make_staff(school, StaffRole.Role.REFERENT, "referent_t")
    admin = make_user("admin_t")
    TerritoryAdmin.objects.create(user=admin, territory=territory)

    outsider_pupil = make_pupil(klass, "eleve_x_t", first_name="Noé", last_name="Bernard")
    outsider_parent = make_user("parent_x_t", first_name="Inès", last_name="Bernard")
    link_guardian(outsider_parent, outsider_pupil)

    school_b = make_school(territory, kind=School.Kind.PRIMARY, name="École B", commune="Thise")
    class_b = make_class(school_b, "CM1", "CM1")
    sibling = make_pupil(class_b, "eleve_frere_t", first_name="Hugo", last_name="Martin")
    link_guardian(guardian, sibling, relationship="mère")
    pupil_b = make_pupil(class_b, "eleve_autre_ecole_t", first_name="Zoé", last_name="Blanc")
    parent_b = make_user("parent_b_t", first_name="Luc", last_name="Blanc")
    link_guardian(parent_b, pupil_b)
    teacher_b = make_user("prof_b_t", first_name="Eva", last_name="Noir")
    teach(teacher_b, klass=class_b)
    staff_b = make_staff(school_b, StaffRole.Role.DIRECTION, "direction_b_t")

    return World(
        territory=territory,
        school=school,
        klass=klass,
        other_class=other_class,
        group=group,
        subject=subject,
        pupil=pupil,
        guardian=guardian,
        guardian2=guardian2,
        guardian_nojustify=guardian_nojustify,
        sibling=sibling,
        teacher=teacher,
        other_teacher=other_teacher,
        vie_scolaire=vie_scolaire,
        direction=direction,
        referent=referent,
        admin=admin,
        outsider_pupil=outsider_pupil,
        outsider_parent=outsider_parent,
        other_pupil=other_pupil,
        school_b=school_b,
        class_b=class_b,
        pupil_b=pupil_b,
        parent_b=parent_b,
        teacher_b=teacher_b,
        staff_b=staff_b,
    )
