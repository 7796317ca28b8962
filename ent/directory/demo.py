"""The demo directory that `manage.py seed_demo` writes.

One territory with two communes: a primary school (école élémentaire, CP to CM2)
and a secondary school (collège, 6e and 5e), about 25 pupils a class, their
families, teachers, staff and a territory admin. Names are made up; a fixed random
seed makes every run produce the same people.

The fixed demo logins (all with DEMO_PASSWORD) are the ones the README lists. The
feature apps add their own demo content through SEED_HOOKS, each called with the
DemoContext below.
"""

import importlib
import logging
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ent import pagecache
from ent.directory import pagescopes
from ent.directory.models import (
    ClosedDay,
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

log = logging.getLogger(__name__)

DEMO_PASSWORD = "ent-demo-2026"  # noqa: S105 - published in the README on purpose
TERRITORY_SLUG = "demo-grand-besancon"
PUPILS_PER_CLASS = 25
EMAIL_DOMAIN = "demo.example.org"

# Per-app demo content: "module:function", each called as function(context) after
# the directory is written. A missing module or function is skipped, so apps can
# add theirs when they are ready. Hooks must be idempotent (context.created tells
# whether the directory was just written or was already there).
SEED_HOOKS = [
    "homework.demo:seed",
    "absences.demo:seed",
    "messaging.demo:seed",
    "media.demo:seed",
    "ent.timetable.demo:seed",
]
# The notification feed takes the list of the demo logins' users.
NOTIFY_HOOK = "ent.notify.demo:seed_notifications"

DEMO_LOGINS = ["admin", "direction", "cpe", "referent", "prof", "parent", "eleve", "parent2", "prof2"]

TERRITORY_NAME = "Grand Besançon Métropole (démo)"
SCHOOLS = {
    # key: (name, UAI, commune, kind)
    "ecole": ("École élémentaire Les Tilleuls", "0259901A", "Thise", School.Kind.PRIMARY),
    "college": ("Collège Lucie-Aubrac", "0259902B", "Besançon", School.Kind.SECONDARY),
}
# class name -> (school key, level, age of the pupils at the start of the year)
CLASSES = {
    "CP": ("ecole", "CP", 6),
    "CE1": ("ecole", "CE1", 7),
    "CE2": ("ecole", "CE2", 8),
    "CM1": ("ecole", "CM1", 9),
    "CM2": ("ecole", "CM2", 10),
    "6e A": ("college", "6e", 11),
    "6e B": ("college", "6e", 11),
    "5e A": ("college", "5e", 12),
    "5e B": ("college", "5e", 12),
}
SUBJECTS = {
    "ecole": [
        ("FRA", "Français"),
        ("MATH", "Mathématiques"),
        ("QLM", "Questionner le monde"),
        ("LV", "Langue vivante (anglais)"),
        ("ARTS", "Arts"),
        ("EPS", "Éducation physique et sportive"),
    ],
    "college": [
        ("FRA", "Français"),
        ("MATH", "Mathématiques"),
        ("HG", "Histoire-géographie"),
        ("ANG", "Anglais"),
        ("SVT", "Sciences de la vie et de la Terre"),
        ("PC", "Physique-chimie"),
        ("TECH", "Technologie"),
        ("EPS", "Éducation physique et sportive"),
        ("ARTS", "Arts plastiques"),
        ("MUS", "Éducation musicale"),
        ("LAT", "Latin"),
    ],
}
COLLEGE = ["6e A", "6e B", "5e A", "5e B"]
# (login or None, first name, last name, subject code, classes, groups)
COLLEGE_TEACHERS = [
    ("prof", "Anne", "Leroy", "MATH", ["6e A", "6e B", "5e A"], []),
    (None, "Olivier", "Mercier", "MATH", ["5e B"], []),
    (None, "Hélène", "Dupuis", "FRA", ["6e A", "6e B"], []),
    (None, "François", "Lemoine", "FRA", ["5e A", "5e B"], []),
    (None, "François", "Lemoine", "LAT", [], ["Latin 5e"]),
    (None, "Nathalie", "Brun", "HG", COLLEGE, []),
    (None, "David", "Morel", "ANG", COLLEGE, []),
    (None, "Aurélie", "Fournier", "SVT", COLLEGE, []),
    (None, "Sébastien", "Rolland", "PC", ["5e A", "5e B"], []),
    (None, "Céline", "Guérin", "TECH", COLLEGE, []),
    (None, "Laurent", "Muller", "EPS", COLLEGE, []),
    (None, "Julie", "Marchand", "ARTS", COLLEGE, []),
    (None, "Stéphane", "Henry", "MUS", COLLEGE, ["Chorale"]),
]
# Primary teachers teach everything to one class (no subject).
ECOLE_TEACHERS = [
    (None, "Martine", "Chevalier", "CP"),
    (None, "Lucie", "Blanchard", "CE1"),
    (None, "Éric", "Robin", "CE2"),
    (None, "Sandrine", "Gauthier", "CM1"),
    ("prof2", "Thomas", "Garnier", "CM2"),
]
# group name -> classes its pupils come from
GROUPS = {"Chorale": COLLEGE, "Latin 5e": ["5e A", "5e B"]}
# (login or None, first name, last name, school key, role)
STAFF = [
    ("direction", "Isabelle", "Fontaine", "college", StaffRole.Role.DIRECTION),
    ("cpe", "Nicolas", "Girard", "college", StaffRole.Role.VIE_SCOLAIRE),
    ("referent", "Camille", "Roussel", "college", StaffRole.Role.REFERENT),
    (None, "Sylvie", "Perrin", "college", StaffRole.Role.SECRETARY),
]

GIRLS = (
    "Emma Jade Louise Alice Chloé Lina Rose Léa Anna Mila Inès Ambre Julia Mia Léna Manon Juliette Lou Zoé "
    "Camille Agathe Jeanne Sarah Nina Romane Lucie Eva Margaux Clara Capucine Maëlys Yasmine Salomé Héloïse"
).split()
BOYS = (
    "Gabriel Léo Raphaël Arthur Louis Jules Adam Maël Lucas Hugo Noah Liam Gabin Sacha Paul Nathan Aaron "
    "Mohamed Ethan Tom Léon Théo Noé Victor Martin Mathis Timéo Nolan Marius Axel Enzo Robin Malo Yanis Samuel"
).split()
MOTHERS = (
    "Sophie Nathalie Isabelle Céline Stéphanie Aurélie Émilie Julie Sandrine Virginie Caroline Élodie Laure "
    "Audrey Karine Amandine Fatima Sabrina Hélène Marion Claire Valérie Anne Mélanie Nadia Samira Christelle"
).split()
FATHERS = (
    "Nicolas Julien Sébastien Christophe Guillaume Jérôme David Frédéric Olivier Mickaël Cédric Vincent "
    "Thomas Romain Stéphane Laurent Karim Mehdi Pierre Benoît Arnaud Yannick Fabrice Franck Damien Ludovic"
).split()
SURNAMES = (
    "Bernard Dubois Thomas Robert Richard Petit Durand Moreau Simon Laurent Lefebvre Michel Garcia David "
    "Bertrand Roux Vincent Fournier Morel Girard André Mercier Dupont Lambert Bonnet François Martinez "
    "Legrand Garnier Faure Rousseau Blanc Guérin Muller Henry Roussel Nicolas Perrin Morin Mathieu Clément "
    "Gauthier Dumont Lopez Fontaine Chevalier Robin Masson Sanchez Gérard Nguyen Boyer Denis Lemaire Duval "
    "Joly Gautier Roger Roche Roy Noël Meyer Lucas Meunier Jean Perez Marchand Dufour Blanchard Marie Barbier "
    "Brun Dumas Brunet Schmitt Leroux Colin Fernandez Pierre Renard Arnaud Rolland Caron Aubert Giraud Leclerc "
    "Vidal Bourgeois Renaud Lemoine Picard Gaillard Philippe Leclercq Lacroix Fabre Dupuis Olivier Rodriguez "
    "Da Silva Hubert Louis Charles Guillot Rivière Le Gall Guillaume Adam Rey Moulin Gonzalez Berger Lecomte "
    "Ménard Fleury Deschamps Carpentier Julien Benoît Paris Maillard Marchal Aubry Vasseur Le Roux Renault "
    "Jacquet Collet Prévost Poirier Charpentier Royer Huet Baron Dupuy Pons Paul Laine Carré Breton Rémy "
    "Schneider Perrot Guyot Barre Marty Cousin Bouvier Vuillemin Cuenot Jeannin Bourgeois Tissot Pernot"
).split()


@dataclass
class DemoContext:
    """What the hooks get: the demo logins and the directory around them."""

    territory: Territory
    schools: dict[str, School]  # "ecole", "college"
    classes: dict[str, SchoolClass]  # by name: "CP" ... "CM2", "6e A" ... "5e B"
    groups: dict[str, Group]
    subjects: dict[tuple[str, str], Subject]  # (school key, code)
    users: dict[str, User]  # the demo logins: "admin", "prof", "parent", "eleve" ...
    pupils: dict[str, list[User]]  # class name -> pupils
    teachers: list[User]
    created: bool = False  # True when this run wrote the directory
    s3_available: bool = False
    log: Callable[[str], None] = field(default=print, repr=False)


def school_year_bounds(today: date) -> tuple[str, date, date]:
    start = today.year if today.month >= 8 else today.year - 1
    return f"{start}-{start + 1}", date(start, 9, 1), date(start + 1, 7, 4)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())


def _seed_calendar(college, ends_on):
    """The collège is in Besançon (académie of zone A) and closes on the Friday
    after Ascension Day, as many do: the declaration warns about both."""
    # In-function: absences imports the directory at module level, not the reverse.
    from absences.calendar import easter

    college.holiday_zone = School.HolidayZone.A
    college.save(update_fields=["holiday_zone"])
    bridge = easter(ends_on.year) + timedelta(days=40)
    ClosedDay.objects.create(school=college, date=bridge, label="pont de l’Ascension")


class _Builder:
    """Collects unsaved rows, then writes each table with one bulk_create."""

    def __init__(self, password_hash: str, school_year: tuple[str, date, date]):
        self.rng = random.Random(2026)  # noqa: S311 - fixed seed: the same demo every time
        self.password_hash = password_hash
        self.year_name, self.starts_on, self.ends_on = school_year
        self.usernames: set[str] = set()
        self.users: list[User] = []
        self.logins: dict[str, User] = {}
        self.pupils: dict[str, list[User]] = {name: [] for name in CLASSES}
        self.guardianships: list[tuple[User, User, str]] = []
        self.teachings: list[tuple[User, str | None, str | None, tuple[str, str] | None]] = []
        self.staff: list[tuple[User, str, str]] = []
        self.teachers: list[User] = []
        # Pupils whose family must not grow (the named demo families, and families
        # that already have two children).
        self.fixed: set[str] = set()

    def person(self, first, last, *, login=None, adult=True, birth_date=None):
        username = login or self._username(first, last)
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@{EMAIL_DOMAIN}" if adult else "",
            password=self.password_hash,
            birth_date=birth_date,
            is_demo=True,
        )
        self.users.append(user)
        if login:
            self.logins[login] = user
        return user

    def _username(self, first, last):
        base = f"{_ascii(first)}.{_ascii(last)}"
        username, n = base, 1
        while username in self.usernames or username in DEMO_LOGINS:
            n += 1
            username = f"{base}{n}"
        self.usernames.add(username)
        return username

    def pupil(self, first, last, class_name, *, login=None):
        _, _, age = CLASSES[class_name]
        born = date(self.starts_on.year - age, self.rng.randint(1, 12), self.rng.randint(1, 28))
        pupil = self.person(first, last, login=login, adult=False, birth_date=born)
        self.pupils[class_name].append(pupil)
        return pupil

    def family(self, class_name, surname=None, *, pupil_first=None, pupil_login=None, guardians=None):
        """A pupil with their guardians. `guardians`: [(login, first, last, relationship)]."""
        surname = surname or self.rng.choice(SURNAMES)
        first = pupil_first or self.rng.choice(self.rng.choice([GIRLS, BOYS]))
        pupil = self.pupil(first, surname, class_name, login=pupil_login)
        if guardians is None:
            guardians = [(None, self.rng.choice(MOTHERS), surname, "mère")]
            if self.rng.random() < 0.6:
                guardians.append((None, self.rng.choice(FATHERS), surname, "père"))
            self.rng.shuffle(guardians)
        adults = [self.person(f, last, login=login) for login, f, last, _ in guardians]
        for adult, (_, _, _, relationship) in zip(adults, guardians, strict=True):
            self.guardianships.append((adult, pupil, relationship))
        return pupil, adults

    def build(self):
        self._special_families()
        self.fixed.update(p.username for pupils in self.pupils.values() for p in pupils)
        # Oldest classes first, so that younger pupils can be their siblings.
        for class_name in reversed(CLASSES):
            while len(self.pupils[class_name]) < PUPILS_PER_CLASS:
                self._random_family(class_name)
        for login, first, last, subject, classes, groups in COLLEGE_TEACHERS:
            teacher = self._teacher(login, first, last)
            for name in classes:
                self.teachings.append((teacher, name, None, ("college", subject)))
            for name in groups:
                self.teachings.append((teacher, None, name, ("college", subject)))
        for login, first, last, class_name in ECOLE_TEACHERS:
            teacher = self._teacher(login, first, last)
            self.teachings.append((teacher, class_name, None, None))
        # In a primary school the director usually teaches a class too.
        self.staff.append((self._teacher(None, "Martine", "Chevalier"), "ecole", StaffRole.Role.DIRECTION))
        for login, first, last, school_key, role in STAFF:
            self.staff.append((self.person(first, last, login=login), school_key, role))
        self.admin = self.person("Pierre", "Lambert", login="admin")

    def _teacher(self, login, first, last):
        for teacher in self.teachers:
            if (teacher.first_name, teacher.last_name) == (first, last):
                return teacher
        teacher = self.person(first, last, login=login)
        self.teachers.append(teacher)
        return teacher

    def _special_families(self):
        # `parent`: two children in two schools, `eleve` is one of them.
        eleve, (parent, father) = self.family(
            "6e A",
            "Martin",
            pupil_first="Léa",
            pupil_login="eleve",
            guardians=[("parent", "Sophie", "Martin", "mère"), (None, "Marc", "Martin", "père")],
        )
        self._sibling(eleve, "CE2", "Hugo", [parent, father])
        # `parent2`: another family with a child in eleve's class.
        self.family(
            "6e A",
            "Benali",
            pupil_first="Yanis",
            guardians=[("parent2", "Karim", "Benali", "père"), (None, "Nadia", "Benali", "mère")],
        )
        # Separated parents: two accounts, each linked only to this child.
        self.family(
            "6e A",
            "Faure",
            pupil_first="Emma",
            guardians=[(None, "Claire", "Moreau", "mère"), (None, "Julien", "Faure", "père")],
        )

    def _sibling(self, older, class_name, first, guardians):
        pupil = self.pupil(first, older.last_name, class_name)
        for adult in guardians:
            relationship = next(r for g, p, r in self.guardianships if g is adult and p is older)
            self.guardianships.append((adult, pupil, relationship))
        return pupil

    def _random_family(self, class_name):
        # One family in eight already has a child in an older class.
        older = self._older_child(class_name) if self.rng.random() < 0.125 else None
        if older is None:
            return self.family(class_name)[0]
        self.fixed.add(older.username)
        guardians = [g for g, p, _ in self.guardianships if p is older]
        return self._sibling(older, class_name, self.rng.choice(self.rng.choice([GIRLS, BOYS])), guardians)

    def _older_child(self, class_name):
        names = list(CLASSES)
        older = [p for name in names[names.index(class_name) + 1 :] for p in self.pupils[name]]
        candidates = [p for p in older if p.username not in self.fixed]
        return self.rng.choice(candidates) if candidates else None


class UsernameTaken(Exception):
    pass


def check_usernames_free(usernames) -> list[str]:
    """Usernames already taken by accounts that are not demo accounts."""
    return sorted(User.objects.filter(username__in=usernames, is_demo=False).values_list("username", flat=True))


@transaction.atomic
def write_directory(today: date | None = None) -> tuple[DemoContext, bool]:
    """Write the demo directory, or load it when it is already there."""
    if Territory.objects.filter(slug=TERRITORY_SLUG).exists():
        return load_context(), False
    year = school_year_bounds(today or timezone.localdate())
    # One hash (the first of PASSWORD_HASHERS: Argon2id) for everybody: hashing
    # each of several hundred accounts would take a while.
    builder = _Builder(make_password(DEMO_PASSWORD), year)
    builder.build()
    taken = check_usernames_free([u.username for u in builder.users])
    if taken:
        raise UsernameTaken(f"these usernames already belong to real accounts: {', '.join(taken)}")

    territory = Territory.objects.create(name=TERRITORY_NAME, slug=TERRITORY_SLUG)
    schools = {
        key: School.objects.create(territory=territory, name=name, uai=uai, commune=commune, kind=kind)
        for key, (name, uai, commune, kind) in SCHOOLS.items()
    }
    years = {
        key: SchoolYear.objects.create(
            school=school, name=builder.year_name, starts_on=builder.starts_on, ends_on=builder.ends_on, is_current=True
        )
        for key, school in schools.items()
    }
    classes = {
        c.name: c
        for c in SchoolClass.objects.bulk_create(
            SchoolClass(school=schools[key], year=years[key], name=name, level=level)
            for name, (key, level, _) in CLASSES.items()
        )
    }
    subjects = {
        (key, s.code): s
        for key, rows in SUBJECTS.items()
        for s in Subject.objects.bulk_create(Subject(school=schools[key], code=c, name=n) for c, n in rows)
    }
    groups = {
        g.name: g
        for g in Group.objects.bulk_create(
            Group(school=schools["college"], year=years["college"], name=name) for name in GROUPS
        )
    }
    User.objects.bulk_create(builder.users)

    Enrollment.objects.bulk_create(
        Enrollment(pupil=p, school_class=classes[name]) for name, pupils in builder.pupils.items() for p in pupils
    )
    Guardianship.objects.bulk_create(
        Guardianship(guardian=g, pupil=p, relationship=r) for g, p, r in builder.guardianships
    )
    TeachingAssignment.objects.bulk_create(
        TeachingAssignment(
            teacher=t,
            school_class=classes[c] if c else None,
            group=groups[g] if g else None,
            subject=subjects[s] if s else None,
        )
        for t, c, g, s in builder.teachings
    )
    StaffRole.objects.bulk_create(StaffRole(user=u, school=schools[k], role=r) for u, k, r in builder.staff)
    _seed_calendar(schools["college"], builder.ends_on)
    TerritoryAdmin.objects.create(user=builder.admin, territory=territory)
    _fill_groups(builder, groups)
    # Written in bulk: the seeding says so itself, like any other write.
    pagecache.bump_after_commit(pagescopes.bump_directory)

    context = DemoContext(
        territory=territory,
        schools=schools,
        classes=classes,
        groups=groups,
        subjects=subjects,
        users=builder.logins,
        pupils=builder.pupils,
        teachers=builder.teachers,
    )
    return context, True


def _fill_groups(builder, groups):
    rng = random.Random(7)  # noqa: S311
    rows = []
    for name, class_names in GROUPS.items():
        pool = [p for c in class_names for p in builder.pupils[c]]
        members = rng.sample(pool, k=min(len(pool), 14))
        if name == "Chorale" and builder.logins["eleve"] not in members:
            members[0] = builder.logins["eleve"]
        rows += [Group.members.through(group_id=groups[name].id, user_id=p.id) for p in members]
    Group.members.through.objects.bulk_create(rows)


def load_context() -> DemoContext:
    territory = Territory.objects.get(slug=TERRITORY_SLUG)
    by_uai = {s.uai: s for s in School.objects.filter(territory=territory)}
    schools = {key: by_uai[uai] for key, (_, uai, _, _) in SCHOOLS.items()}
    school_ids = [s.id for s in schools.values()]
    classes = {c.name: c for c in SchoolClass.objects.filter(school_id__in=school_ids, year__is_current=True)}
    pupils: dict[str, list[User]] = {name: [] for name in classes}
    for enrollment in (
        Enrollment.objects.current()
        .filter(school_class__in=classes.values())
        .select_related("pupil", "school_class")
        .order_by("pupil__last_name", "pupil__first_name")
    ):
        pupils[enrollment.school_class.name].append(enrollment.pupil)
    key_of = {s.id: key for key, s in schools.items()}
    return DemoContext(
        territory=territory,
        schools=schools,
        classes=classes,
        groups={g.name: g for g in Group.objects.filter(school_id__in=school_ids, year__is_current=True)},
        subjects={(key_of[s.school_id], s.code): s for s in Subject.objects.filter(school_id__in=school_ids)},
        users={u.username: u for u in User.objects.filter(username__in=DEMO_LOGINS, is_demo=True)},
        pupils=pupils,
        teachers=list(
            User.objects.filter(
                is_demo=True,
                id__in=TeachingAssignment.objects.filter(
                    Q(school_class__school_id__in=school_ids) | Q(group__school_id__in=school_ids)
                ).values("teacher_id"),
            )
        ),
    )


def _resolve(path: str):
    """The hook function, or None when its module or function does not exist (yet)."""
    module_name, func_name = path.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only a missing hook module is skipped; an import error inside it is a bug.
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            return None
        raise
    return getattr(module, func_name, None)


def run_hooks(context: DemoContext) -> list[str]:
    """Call every app's seed hook, then the notification seed; return those that ran."""
    ran = []
    for path in SEED_HOOKS:
        hook = _resolve(path)
        if hook is None:
            continue
        with transaction.atomic():
            hook(context)
        ran.append(path)
    # Last: the feed is made of what the apps' actions sent.
    notify = _resolve(NOTIFY_HOOK)
    if notify is not None:
        with transaction.atomic():
            notify(list(context.users.values()))
        ran.append(NOTIFY_HOOK)
    return ran
