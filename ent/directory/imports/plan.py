"""Match parsed rows with the directory and compute the changes; with apply=True,
write them too (the caller holds the transaction).

The same function makes the preview and applies it, so what a person confirmed
is what runs. Matching uses stable ids (INE for pupils, the file's identifiers
or the email for adults) and falls back to names only inside one school, so
re-importing a file changes nothing.
"""

import re
import secrets
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from ent import pagecache
from ent.directory import pagescopes
from ent.directory.auth_backends import forget_users
from ent.directory.imports.parsing import PUPILS, ParsedFile, fold
from ent.directory.models import (
    AuditEntry,
    Enrollment,
    Guardianship,
    School,
    SchoolClass,
    StaffRole,
    Subject,
    TeachingAssignment,
    User,
)

PROGRESS_EVERY = 200
# Levels read from class names when the file has no level column ("CM1 B", "6e A", "6EME 2").
LEVEL_PATTERNS = [
    (r"^(cp|ce1|ce2|cm1|cm2|ps|ms|gs)\b", None),
    (r"^([3-6])\s*(e|eme|ème)\b", "{}e"),
]
ROLE_WORDS = {
    "teacher": ["ens", "enseignant", "enseignante", "professeur", "prof", "pe", "professeur des ecoles"],
    StaffRole.Role.DIRECTION: [
        "dir",
        "direction",
        "directeur",
        "directrice",
        "principal",
        "principale",
        "principal adjoint",
        "chef d etablissement",
    ],
    StaffRole.Role.VIE_SCOLAIRE: ["edu", "cpe", "vie scolaire", "education", "surveillant", "aed"],
    StaffRole.Role.SECRETARY: ["sec", "secretaire", "secretariat", "adm", "administratif"],
    StaffRole.Role.REFERENT: ["ref", "referent", "referent numerique", "rupn"],
}


def infer_level(class_name: str, level: str = "") -> str:
    if level:
        text = fold(level)
        m = re.match(r"^([3-6])(e|eme)", text)
        if m:
            return f"{m.group(1)}e"
        m = re.match(r"^(cp|ce1|ce2|cm1|cm2)", text)
        return m.group(1).upper() if m else level[:20]
    name = class_name.strip().lower()
    m = re.match(r"^(cp|ce1|ce2|cm1|cm2)\b", name)
    if m:
        return m.group(1).upper()
    m = re.match(r"^([3-6])\s*(e|eme|ème)\b", name)
    return f"{m.group(1)}e" if m else ""


def role_of(value: str) -> str | None:
    text = " ".join(re.sub(r"[^a-z0-9]+", " ", fold_spaces(value)).split())
    for role, words in ROLE_WORDS.items():
        if text in words or any(text.startswith(w + " ") for w in words):
            return role
    return None


def fold_spaces(value: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


@dataclass
class Outcome:
    changes: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def change(self, line, action, entity, label, fields=()):
        self.changes.append(
            {"line": line, "action": action, "entity": entity, "label": label, "fields": sorted(fields)}
        )

    def error(self, line, field_name, code, **params):
        self.errors.append({"line": line, "field": field_name, "code": code, "params": params})

    def warn(self, line, field_name, code, **params):
        self.warnings.append({"line": line, "field": field_name, "code": code, "params": params})

    @property
    def summary(self):
        by_action = Counter(c["action"] for c in self.changes)
        by_entity: dict = {}
        for c in self.changes:
            by_entity.setdefault(c["entity"], Counter())[c["action"]] += 1
        return {
            "created": by_action["create"],
            "updated": by_action["update"],
            "unchanged": by_action["unchanged"],
            "deactivated": by_action["deactivate"],
            "by_entity": {k: dict(v) for k, v in sorted(by_entity.items())},
        }


def run(parsed: ParsedFile, school: School, *, scope="classes", apply=False, by=None, progress=None) -> Outcome:
    """Plan (and with apply=True, write) one parsed file for one school."""
    outcome = Outcome(errors=list(parsed.errors), warnings=list(parsed.warnings))
    year = school.years.filter(is_current=True, is_closed=False).first()
    if year is None:
        outcome.error(0, "file", "no_current_year")
        return outcome
    if any(e["line"] == 0 or e["field"] == "header" for e in parsed.errors):
        return outcome  # nothing readable
    planner = (PupilPlanner if parsed.kind == PUPILS else StaffPlanner)(school, year, parsed, outcome, scope, by)
    planner.plan(progress or (lambda n: None))
    if apply and not outcome.errors:
        planner.write()
        # People, classes, enrolments, links and roles written in bulk: the
        # apply says what it touched (rolled back with it if the job fails).
        pagecache.bump_after_commit(pagescopes.bump_directory)
    return outcome


class _Planner:
    def __init__(self, school, year, parsed, outcome, scope, by):
        self.school, self.year, self.parsed, self.outcome, self.scope, self.by = (
            school,
            year,
            parsed,
            outcome,
            scope,
            by,
        )
        self.bad_lines = {e["line"] for e in parsed.errors}
        self.today = timezone.localdate()
        self.classes = {fold(c.name): c for c in SchoolClass.objects.filter(year=year)}
        self.new_classes: list[SchoolClass] = []
        self.new_users: list[User] = []
        self.updated_users: dict[int, User] = {}
        self.updated_fields: set[str] = set()
        self.instances: dict[int, User] = {}

    def one(self, user):
        """One Python object per account, so that a guardian reached through two
        siblings is planned (and saved) once."""
        return self.instances.setdefault(user.pk, user)

    @staticmethod
    def seen_key(user):
        return ("pk", user.pk) if user.pk else ("obj", id(user))

    def klass(self, name, level, line):
        key = fold(name)
        if key not in self.classes:
            klass = SchoolClass(school=self.school, year=self.year, name=name.strip(), level=infer_level(name, level))
            self.classes[key] = klass
            self.new_classes.append(klass)
            self.outcome.change(line, "create", "class", klass.name)
        return self.classes[key]

    def update_person(self, user, wanted: dict, *, keep_existing=False) -> list[str]:
        """Set the fields that differ; adults keep values the file leaves blank."""
        changed = []
        for name, value in wanted.items():
            if value in ("", None) and keep_existing:
                continue
            if getattr(user, name) != value:
                setattr(user, name, value)
                changed.append(name)
        if changed and user.pk:
            self.updated_users[user.pk] = user
            self.updated_fields.update(changed)
        return changed

    def new_person(self, **fields) -> User:
        user = User(**fields)
        self.new_users.append(user)
        return user

    def save_people(self):
        SchoolClass.objects.bulk_create(self.new_classes)
        assign_usernames(self.new_users)
        for user in self.new_users:
            # No password until the person activates with the code of their letter.
            # (make_password(None) makes the same unusable value, 40x slower.)
            user.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20)
        User.objects.bulk_create(self.new_users, batch_size=500)
        if self.updated_users:
            User.objects.bulk_update(list(self.updated_users.values()), sorted(self.updated_fields), batch_size=500)
            forget_users(self.updated_users)  # bulk update: no signal

    def audit(self):
        AuditEntry.objects.create(
            actor=self.by,
            school=self.school,
            action=f"import.{self.parsed.kind}",
            details=self.outcome.summary,
        )


class PupilPlanner(_Planner):
    def plan(self, progress):
        rows = self._rows_for_this_school()
        enrollments = list(
            Enrollment.objects.filter(school_class__year=self.year).select_related("pupil", "school_class")
        )
        self.enrollment_of = {e.pupil_id: e for e in enrollments}
        by_name = {}
        for e in enrollments:
            p = e.pupil = self.one(e.pupil)
            by_name.setdefault((fold(p.last_name), fold(p.first_name), p.birth_date), p)
        ines = {r.values["ine"] for r in rows if r.values.get("ine")}
        by_ine = {u.external_id: self.one(u) for u in User.objects.filter(external_id__in=ines)} if ines else {}
        elsewhere = {
            e.pupil_id: e.school_class.school
            for e in Enrollment.objects.current()
            .filter(pupil__in=list(by_ine.values()))
            .exclude(school_class__school=self.school)
            .select_related("school_class__school")
        }
        self.new_enrollments, self.moved_enrollments, self.left_enrollments = [], [], []
        self.links: list[tuple[User, User, str]] = []
        seen_pupils: dict = {}
        matched_ids: set[int] = set()
        planned = []
        for i, row in enumerate(rows, 1):
            if i % PROGRESS_EVERY == 0:
                progress(i)
            v = row.values
            key = v.get("ine") or ("n", fold(v["last_name"]), fold(v["first_name"]), v["birth_date"])
            if key in seen_pupils:
                self.outcome.error(
                    row.line, "ine" if v.get("ine") else "last_name", "duplicate_pupil", other=seen_pupils[key]
                )
                continue
            seen_pupils[key] = row.line
            pupil = by_ine.get(v.get("ine")) if v.get("ine") else None
            if pupil is None:
                candidate = by_name.get((fold(v["last_name"]), fold(v["first_name"]), v["birth_date"]))
                if candidate is not None and (not v.get("ine") or not candidate.external_id):
                    pupil = candidate
            if pupil is not None and pupil.pk in elsewhere:
                self.outcome.error(row.line, "ine", "enrolled_elsewhere", school=elsewhere[pupil.pk].name)
                continue
            planned.append((row, pupil))
            if pupil is not None:
                matched_ids.add(pupil.pk)
        progress(len(rows))
        guardians_of = {}
        for link in Guardianship.objects.filter(pupil_id__in=matched_ids).select_related("guardian"):
            guardians_of.setdefault(link.pupil_id, []).append(self.one(link.guardian))
        emails = {g["email"] for row, _ in planned for g in row.guardians if g.get("email")}
        gids = {g["external_id"] for row, _ in planned for g in row.guardians if g.get("external_id")}
        self.adults_by_email = {u.email.lower(): self.one(u) for u in users_by_emails(emails)}
        self.adults_by_id = (
            {u.external_id: self.one(u) for u in User.objects.filter(external_id__in=gids)} if gids else {}
        )
        self.file_guardians: dict = {}
        self.seen_guardians: dict = {}
        class_keys = set()
        for row, pupil in planned:
            class_keys.add(fold(row.values["class_name"]))
            pupil = self._plan_pupil(row, pupil)
            for g in row.guardians:
                self._plan_guardian(row, pupil, g, guardians_of.get(pupil.pk, []) if pupil.pk else [])
        self._plan_departures(matched_ids, class_keys)

    def _rows_for_this_school(self):
        rows, other_school_guardians = [], {}
        for row in self.parsed.rows:
            if row.line in self.bad_lines:
                continue
            uai = row.values.get("uai")
            if uai and uai != self.school.uai:
                self.outcome.error(row.line, "uai", "other_school_row", value=uai)
                for g in row.guardians:
                    other_school_guardians.setdefault(_guardian_key(row, g), row.line)
                continue
            rows.append(row)
        for row in rows:
            for g in row.guardians:
                other = other_school_guardians.get(_guardian_key(row, g))
                if other:
                    self.outcome.error(row.line, f"g{g['index']}_last_name", "guardian_other_school", other=other)
        bad = {e["line"] for e in self.outcome.errors}
        return [r for r in rows if r.line not in bad]

    def _plan_pupil(self, row, pupil):
        v = row.values
        label = f"{v['last_name'].upper()} {v['first_name']}"
        klass = self.klass(v["class_name"], v.get("level", ""), row.line)
        wanted = {"last_name": v["last_name"], "first_name": v["first_name"], "birth_date": v["birth_date"]}
        if v.get("ine"):
            wanted["external_id"] = v["ine"]
        if pupil is None:
            pupil = self.new_person(**wanted)
            self.new_enrollments.append(Enrollment(pupil=pupil, school_class=klass))
            self.outcome.change(row.line, "create", "pupil", label, ["class"])
            return pupil
        changed = self.update_person(pupil, wanted)
        enrollment = self.enrollment_of.get(pupil.pk)
        if enrollment is None:
            self.new_enrollments.append(Enrollment(pupil=pupil, school_class=klass))
            changed.append("class")
        elif enrollment.school_class_id != klass.pk or enrollment.left_on is not None:
            enrollment.school_class = klass
            enrollment.left_on = None
            self.moved_enrollments.append(enrollment)
            changed.append("class")
        self.outcome.change(row.line, "update" if changed else "unchanged", "pupil", label, changed)
        return pupil

    def _plan_guardian(self, row, pupil, g, existing):
        key = _guardian_key(row, g)
        label = f"{g['last_name'].upper()} {g['first_name']}"
        wanted = {"last_name": g["last_name"], "first_name": g["first_name"]}
        adult = self.file_guardians.get(key)
        if adult is None and g.get("external_id"):
            adult = self.adults_by_id.get(g["external_id"])
        if adult is None:
            adult = next(
                (
                    a
                    for a in existing
                    if fold(a.last_name) == fold(g["last_name"]) and fold(a.first_name) == fold(g["first_name"])
                ),
                None,
            )
        if adult is None and g.get("email"):
            adult = self.adults_by_email.get(g["email"])
        first_time = adult is None or self.seen_key(adult) not in self.seen_guardians
        changed = []
        if adult is None:
            adult = self.new_person(
                **wanted,
                email=g.get("email", ""),
                phone=g.get("phone", ""),
                external_id=g.get("external_id", ""),
            )
            action = "create"
        else:
            action = None
            contact = {"phone": g.get("phone", ""), "external_id": g.get("external_id", "")}
            email = g.get("email", "")
            if email and email != adult.email.lower():
                owner = self.adults_by_email.get(email)
                if owner is not None and owner is not adult:
                    self.outcome.warn(row.line, f"g{g['index']}_email", "email_taken", value=email)
                else:
                    contact["email"] = email
            if first_time:
                changed = self.update_person(adult, {**wanted, **contact}, keep_existing=True)
        self.file_guardians[key] = adult
        if adult.email:
            self.adults_by_email.setdefault(adult.email.lower(), adult)
        if pupil.pk is None or adult.pk is None or adult.pk not in {a.pk for a in existing}:
            self.links.append((adult, pupil, g.get("relationship", "")))
            changed.append("child")
        if not first_time:
            # The same guardian on a sibling's line: one change per person, amended.
            first = self.seen_guardians[self.seen_key(adult)]
            if changed and first["action"] != "create":
                first["action"] = "update"
                first["fields"] = sorted(set(first["fields"]) | set(changed))
            return
        action = action or ("update" if changed else "unchanged")
        self.outcome.change(row.line, action, "guardian", label, changed if action == "update" else ())
        self.seen_guardians[self.seen_key(adult)] = self.outcome.changes[-1]

    def _plan_departures(self, matched_ids, class_keys):
        for enrollment in self.enrollment_of.values():
            if enrollment.left_on is not None or enrollment.pupil_id in matched_ids:
                continue
            if self.scope != "school" and fold(enrollment.school_class.name) not in class_keys:
                continue
            enrollment.left_on = self.today
            self.left_enrollments.append(enrollment)
            p = enrollment.pupil
            self.outcome.change(0, "deactivate", "pupil", f"{p.last_name.upper()} {p.first_name}", ["left_on"])

    def write(self):
        self.save_people()
        Enrollment.objects.bulk_create(
            [Enrollment(pupil=e.pupil, school_class=e.school_class) for e in self.new_enrollments], batch_size=500
        )
        # A pupil who came back to a class they had left: the row exists already.
        Enrollment.objects.bulk_update(self.moved_enrollments + self.left_enrollments, ["school_class", "left_on"])
        Guardianship.objects.bulk_create(
            [Guardianship(guardian=a, pupil=p, relationship=r[:50]) for a, p, r in self.links],
            batch_size=500,
            ignore_conflicts=True,
        )
        self.audit()


def _guardian_key(row, g):
    if g.get("external_id"):
        return ("id", g["external_id"])
    if g.get("email"):
        return ("email", g["email"])
    phone = _digits(g.get("phone", ""))
    return (
        "name",
        fold(g.get("last_name", "")),
        fold(g.get("first_name", "")),
        phone or fold(row.values.get("last_name", "")),
    )


class StaffPlanner(_Planner):
    def plan(self, progress):
        rows = [r for r in self.parsed.rows if r.line not in self.bad_lines]
        teaching = list(
            TeachingAssignment.objects.filter(school_class__year=self.year).select_related("teacher", "school_class")
        )
        staff_roles = list(StaffRole.objects.filter(school=self.school).select_related("user"))
        people = {t.teacher for t in teaching} | {s.user for s in staff_roles}
        by_name = {(fold(p.last_name), fold(p.first_name)): p for p in people}
        ids = {r.values["external_id"] for r in rows if r.values.get("external_id")}
        emails = {r.values["email"] for r in rows if r.values.get("email")}
        by_id = {u.external_id: u for u in User.objects.filter(external_id__in=ids)} if ids else {}
        by_email = {u.email.lower(): u for u in users_by_emails(emails)}
        subjects = {}
        for s in Subject.objects.filter(school=self.school):
            subjects[fold(s.code)] = s
            subjects[fold(s.name)] = s
        have_teaching = {(t.teacher_id, t.school_class_id, t.subject_id) for t in teaching}
        have_roles = {(s.user_id, s.role) for s in staff_roles}
        self.new_subjects, self.new_teaching, self.new_roles = [], [], []
        seen, kept_teaching, kept_roles = {}, set(), set()
        for i, row in enumerate(rows, 1):
            if i % PROGRESS_EVERY == 0:
                progress(i)
            v = row.values
            uai = v.get("uai")
            if uai and uai != self.school.uai:
                self.outcome.error(row.line, "uai", "other_school_row", value=uai)
                continue
            role = role_of(v["role"])
            if role is None:
                self.outcome.error(row.line, "role", "bad_role", value=v["role"][:40])
                continue
            person = None
            if v.get("external_id"):
                person = by_id.get(v["external_id"])
            if person is None and v.get("email"):
                person = by_email.get(v["email"])
            if person is None:
                person = by_name.get((fold(v["last_name"]), fold(v["first_name"])))
            key = v.get("external_id") or v.get("email") or (fold(v["last_name"]), fold(v["first_name"]))
            label = f"{v['last_name'].upper()} {v['first_name']}"
            wanted = {"last_name": v["last_name"], "first_name": v["first_name"]}
            for name in ("email", "phone", "external_id", "birth_date"):
                if v.get(name):
                    wanted[name] = v[name]
            entity = "teacher" if role == "teacher" else "staff"
            if key in seen:
                person, changed = seen[key], []
            elif person is None:
                person = self.new_person(**wanted)
                changed = None
            else:
                changed = self.update_person(person, wanted, keep_existing=True)
            seen[key] = person
            added = []
            if role == "teacher":
                subject = self._subject(v.get("subject", ""), subjects)
                for name in [c for c in re.split(r"[,|/+]", v.get("classes", "")) if c.strip()]:
                    klass = self.klass(name, "", row.line)
                    wanted_key = (person.pk, klass.pk, subject.pk if subject else None)
                    if person.pk and klass.pk and (subject is None or subject.pk) and wanted_key in have_teaching:
                        kept_teaching.add(wanted_key)
                        continue
                    self.new_teaching.append(TeachingAssignment(teacher=person, school_class=klass, subject=subject))
                    added.append("classes")
            else:
                if person.pk and (person.pk, role) in have_roles:
                    kept_roles.add((person.pk, role))
                else:
                    self.new_roles.append(StaffRole(user=person, school=self.school, role=role))
                    added.append("role")
            if changed is None:
                self.outcome.change(row.line, "create", entity, label, added)
            else:
                fields = sorted(set(changed + added))
                self.outcome.change(row.line, "update" if fields else "unchanged", entity, label, fields)
        progress(len(rows))
        self.gone_teaching, self.gone_roles = [], []
        if self.scope == "school":
            me = self.by.pk if self.by else None
            for t in teaching:
                if (t.teacher_id, t.school_class_id, t.subject_id) not in kept_teaching and t.teacher_id != me:
                    self.gone_teaching.append(t)
                    self.outcome.change(0, "deactivate", "teacher", f"{t.teacher} — {t.school_class}", ["classes"])
            for s in staff_roles:
                if (s.user_id, s.role) not in kept_roles and s.user_id != me:
                    self.gone_roles.append(s)
                    self.outcome.change(0, "deactivate", "staff", f"{s.user} — {s.get_role_display()}", ["role"])

    def _subject(self, value, subjects):
        if not value.strip() or self.school.is_primary:
            return None
        key = fold(value)
        if key not in subjects:
            code = re.sub(r"[^A-Z0-9]", "", fold_spaces(value).upper())[:20] or "X"
            subject = Subject(school=self.school, code=code, name=value.strip()[:100])
            subjects[key] = subjects.setdefault(fold(code), subject)
            if subjects[key] is subject:
                self.new_subjects.append(subject)
        return subjects[key]

    def write(self):
        self.save_people()
        Subject.objects.bulk_create(self.new_subjects)
        TeachingAssignment.objects.bulk_create(
            [
                TeachingAssignment(teacher=t.teacher, school_class=t.school_class, subject=t.subject)
                for t in self.new_teaching
            ],
            ignore_conflicts=True,
        )
        StaffRole.objects.bulk_create(
            [StaffRole(user=r.user, school=r.school, role=r.role) for r in self.new_roles], ignore_conflicts=True
        )
        if self.gone_teaching:
            TeachingAssignment.objects.filter(id__in=[t.id for t in self.gone_teaching]).delete()
        if self.gone_roles:
            StaffRole.objects.filter(id__in=[s.id for s in self.gone_roles]).delete()
        self.audit()


def users_by_emails(emails):
    if not emails:
        return []
    return list(User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails))


def username_base(user: User) -> str:
    first = fold(user.first_name.split(" ")[0]) or "x"
    last = fold(user.last_name) or "x"
    return f"{first}.{last}"[:140]


def assign_usernames(users: list[User]) -> None:
    """prenom.nom, then prenom.nom2, prenom.nom3 … unique across the directory and the batch."""
    if not users:
        return
    bases = sorted({username_base(u) for u in users})
    taken: set[str] = set()
    # Exact matches first (one cheap query per chunk); only bases already taken
    # need the prefix search for their numbered variants.
    for start in range(0, len(bases), 500):
        chunk = bases[start : start + 500]
        taken.update(u.lower() for u in User.objects.filter(username__in=chunk).values_list("username", flat=True))
    clashing = sorted(b for b in bases if b in taken)
    for start in range(0, len(clashing), 100):
        q = Q()
        for base in clashing[start : start + 100]:
            q |= Q(username__startswith=base)
        taken.update(u.lower() for u in User.objects.filter(q).values_list("username", flat=True))
    for user in users:
        base = username_base(user)
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}{n}"
        taken.add(candidate)
        user.username = candidate
