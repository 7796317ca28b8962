"""A realistic territory for the load benchmark, built with bulk inserts.

Scale (defaults): 10 schools, 3,000 pupils, 5,000 guardians, 200 teachers, and,
when the feature apps provide a `bench_seed(ctx)` hook, a term of homework,
registers and absences, and 50,000 messages. Idempotent: a marker row tells a
second run that the data is already there.
"""

import argparse
import random
import time
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.contrib.auth.hashers import make_password
from django.db import transaction

BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 (a benchmark-only dataset)
PRIMARY_LEVELS = ["CP", "CE1", "CE2", "CM1", "CM2"]
SECONDARY_LEVELS = ["6e", "5e", "4e", "3e"]


@dataclass
class BenchContext:
    territory: object
    schools: list
    classes: list  # SchoolClass objects
    pupils_by_class: dict  # class id -> [pupil ids]
    guardians_by_pupil: dict  # pupil id -> [guardian ids]
    teachers_by_class: dict  # class id -> [teacher ids]
    subjects_by_school: dict
    staff_by_school: dict  # school id -> {"vie_scolaire": id, "direction": id}
    scale: float = 1.0
    rng: random.Random = field(default_factory=lambda: random.Random(2026))

    # Reverse look-ups the app hooks need to build one user's requests.
    @cached_property
    def _class_by_id(self):
        return {c.id: c for c in self.classes}

    @cached_property
    def _class_of_pupil(self):
        return {p: c for c, ps in self.pupils_by_class.items() for p in ps}

    @cached_property
    def _classes_of_teacher(self):
        out = {}
        for c, ts in self.teachers_by_class.items():
            for t in ts:
                out.setdefault(t, []).append(c)
        return out

    @cached_property
    def _children_of(self):
        out = {}
        for p, gs in self.guardians_by_pupil.items():
            for g in gs:
                out.setdefault(g, []).append(p)
        return out

    def class_of_pupil(self, pupil_id):
        return self._class_by_id[self._class_of_pupil[pupil_id]]

    def classes_of_teacher(self, teacher_id):
        return [self._class_by_id[c] for c in self._classes_of_teacher.get(teacher_id, [])]

    def children_of(self, guardian_id):
        return self._children_of.get(guardian_id, [])

    def term(self, today=None):
        """The school days of a term around today: ten weeks back, four ahead."""
        from datetime import timedelta

        from django.utils import timezone

        today = today or timezone.localdate()
        monday = today - timedelta(days=today.weekday())
        first, last = monday - timedelta(weeks=10), monday + timedelta(weeks=4)
        day, days = first, []
        while day < last:
            if day.weekday() < 5:
                days.append(day)
            day += timedelta(days=1)
        return days


def seed(schools=10, pupils=3000, guardians=5000, teachers=200, scale=1.0, stdout=print):
    from ent.directory.models import (
        Enrollment,
        Guardianship,
        School,
        SchoolClass,
        SchoolYear,
        StaffRole,
        Subject,
        TeachingAssignment,
        Territory,
        User,
    )

    started = time.monotonic()
    territory = Territory.objects.filter(slug="bench").first()
    if territory is not None:
        stdout("bench dataset already present")
        return load_context(territory, scale)

    rng = random.Random(2026)
    pw = make_password(BENCH_PASSWORD)
    with transaction.atomic():
        territory = Territory.objects.create(name="Territoire de charge", slug="bench")
        school_objs = []
        for i in range(schools):
            kind = School.Kind.PRIMARY if i % 2 == 0 else School.Kind.SECONDARY
            school_objs.append(
                School(
                    territory=territory,
                    name=f"Bench school {i}",
                    uai=f"{9000000 + i:07d}B",
                    commune=f"Commune {i % 5}",
                    kind=kind,
                )
            )
        School.objects.bulk_create(school_objs)
        years = SchoolYear.objects.bulk_create(
            [
                SchoolYear(
                    school=s, name="2026-2027", starts_on=date(2026, 9, 1), ends_on=date(2027, 7, 4), is_current=True
                )
                for s in school_objs
            ]
        )
        year_by_school = {y.school_id: y for y in years}
        subjects = []
        for s in school_objs:
            for code, name in [
                ("FR", "Français"),
                ("MATH", "Mathématiques"),
                ("HG", "Histoire-géographie"),
                ("ANG", "Anglais"),
                ("SVT", "SVT"),
            ]:
                subjects.append(Subject(school=s, code=code, name=name))
        Subject.objects.bulk_create(subjects)

        per_school = pupils // schools
        class_size = 25
        classes = []
        for s in school_objs:
            levels = PRIMARY_LEVELS if s.kind == School.Kind.PRIMARY else SECONDARY_LEVELS
            for c in range(max(1, per_school // class_size)):
                level = levels[c % len(levels)]
                name = f"{level} {chr(65 + c // len(levels))}{c}"
                classes.append(
                    SchoolClass(
                        school=s,
                        year=year_by_school[s.id],
                        name=name,
                        level=level,
                    )
                )
        SchoolClass.objects.bulk_create(classes)

        users = []
        for i in range(pupils):
            users.append(
                User(
                    username=f"b_pupil{i}",
                    first_name=f"Élève{i}",
                    last_name=f"Nom{i % 997}",
                    password=pw,
                    external_id=f"INE{i:09d}",
                )
            )
        for i in range(guardians):
            users.append(
                User(
                    username=f"b_parent{i}",
                    first_name=f"Parent{i}",
                    last_name=f"Nom{i % 997}",
                    email=f"b_parent{i}@bench.invalid",
                    password=pw,
                )
            )
        for i in range(teachers):
            users.append(
                User(
                    username=f"b_teacher{i}",
                    first_name=f"Prof{i}",
                    last_name=f"Enseignant{i}",
                    email=f"b_teacher{i}@bench.invalid",
                    password=pw,
                )
            )
        for s in school_objs:
            for role in ("vie_scolaire", "direction"):
                users.append(
                    User(
                        username=f"b_{role}{s.id}",
                        first_name=role,
                        last_name=s.name,
                        password=pw,
                        email=f"b_{role}{s.id}@bench.invalid",
                    )
                )
        User.objects.bulk_create(users, batch_size=2000)
        by_name = dict(User.objects.filter(username__startswith="b_").values_list("username", "id"))

        enrollments, links, teaching, staff = [], [], [], []
        pupil_ids = [by_name[f"b_pupil{i}"] for i in range(pupils)]
        for i, pid in enumerate(pupil_ids):
            enrollments.append(Enrollment(pupil_id=pid, school_class=classes[i % len(classes)]))
        # Each pupil gets one or two guardians; guardians beyond that share
        # siblings, so some families have children in several schools.
        guardian_ids = [by_name[f"b_parent{i}"] for i in range(guardians)]
        for i, pid in enumerate(pupil_ids):
            links.append(Guardianship(guardian_id=guardian_ids[i % guardians], pupil_id=pid))
            second = guardian_ids[(i + pupils) % guardians]
            if second != guardian_ids[i % guardians]:
                links.append(Guardianship(guardian_id=second, pupil_id=pid))
        Enrollment.objects.bulk_create(enrollments, batch_size=2000)
        Guardianship.objects.bulk_create(links, batch_size=2000, ignore_conflicts=True)
        subj_by_school = {}
        for sub in Subject.objects.filter(school__in=school_objs):
            subj_by_school.setdefault(sub.school_id, []).append(sub)
        teacher_ids = [by_name[f"b_teacher{i}"] for i in range(teachers)]
        for ci, klass in enumerate(classes):
            for k in range(3):
                tid = teacher_ids[(ci * 3 + k) % teachers]
                teaching.append(
                    TeachingAssignment(teacher_id=tid, school_class=klass, subject=subj_by_school[klass.school_id][k])
                )
        TeachingAssignment.objects.bulk_create(teaching, ignore_conflicts=True)
        for s in school_objs:
            staff.append(StaffRole(user_id=by_name[f"b_vie_scolaire{s.id}"], school=s, role="vie_scolaire"))
            staff.append(StaffRole(user_id=by_name[f"b_direction{s.id}"], school=s, role="direction"))
        StaffRole.objects.bulk_create(staff)
        del rng

    ctx = load_context(territory, scale)
    from bench.pages import HOOKED_APPS, app_hooks

    for app, module in zip(HOOKED_APPS, app_hooks(), strict=True):
        t0 = time.monotonic()
        module.bench_seed(ctx)
        stdout(f"  {app}: {time.monotonic() - t0:.1f} s")
    stdout(f"bench dataset built in {time.monotonic() - started:.1f} s")
    return ctx


def load_context(territory, scale=1.0) -> BenchContext:
    from ent.directory.models import Enrollment, Guardianship, SchoolClass, StaffRole, Subject, TeachingAssignment

    schools = list(territory.schools.all())
    classes = list(SchoolClass.objects.filter(school__in=schools).select_related("school", "year").order_by("id"))
    pupils_by_class, guardians_by_pupil, teachers_by_class, subjects, staff = {}, {}, {}, {}, {}
    for pid, cid in Enrollment.objects.filter(school_class__in=classes).values_list("pupil_id", "school_class_id"):
        pupils_by_class.setdefault(cid, []).append(pid)
    for gid, pid in Guardianship.objects.filter(pupil__enrollments__school_class__in=classes).values_list(
        "guardian_id", "pupil_id"
    ):
        guardians_by_pupil.setdefault(pid, []).append(gid)
    for tid, cid in TeachingAssignment.objects.filter(school_class__in=classes).values_list(
        "teacher_id", "school_class_id"
    ):
        teachers_by_class.setdefault(cid, []).append(tid)
    for sub in Subject.objects.filter(school__in=schools):
        subjects.setdefault(sub.school_id, []).append(sub)
    for uid, sid, role in StaffRole.objects.filter(school__in=schools).values_list("user_id", "school_id", "role"):
        staff.setdefault(sid, {})[role] = uid
    return BenchContext(
        territory=territory,
        schools=schools,
        classes=classes,
        pupils_by_class=pupils_by_class,
        guardians_by_pupil=guardians_by_pupil,
        teachers_by_class=teachers_by_class,
        subjects_by_school=subjects,
        staff_by_school=staff,
        scale=scale,
    )


def main(argv=None):
    import django

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=10)
    parser.add_argument("--pupils", type=int, default=3000)
    parser.add_argument("--guardians", type=int, default=5000)
    parser.add_argument("--teachers", type=int, default=200)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplier for homework/absences/messages")
    args = parser.parse_args(argv)
    django.setup()
    seed(args.schools, args.pupils, args.guardians, args.teachers, args.scale)


if __name__ == "__main__":
    main()
