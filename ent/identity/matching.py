"""Which person of the directory an external identity is, if any. Reads only.

The rules (issue 19): the directory is the source of truth, so an identity is
linked only when what the IdP asserts names exactly one person of the
provider's territory:
- a pupil by the national pupil id (INE), currently enrolled in the territory;
- a parent by the pupils the IdP says they are responsible for *plus* their
  name: a guardian of one of those pupils with the same last (and, when
  asserted, first) name;
- staff by the national staff id / académie login held in `external_id`, with
  a role in one of the territory's schools.
Never by e-mail, never by name alone. Anything else waits for the office.
"""

import unicodedata
from dataclasses import dataclass, field

from django.db.models import Q

from ent.directory.models import Enrollment, Guardianship, School, StaffRole, TeachingAssignment, User
from ent.identity.models import IdentityProvider, Profile


class ProfileNotAllowed(Exception):
    """The IdP asserted a profile it may not sign in (or none we know)."""


def attribute_values(raw: dict) -> dict[str, list[str]]:
    """Asserted attributes as name → list of strings, for SAML (lists already)
    and OpenID Connect (allauth keeps the ID token's and userinfo's claims)."""
    if "userinfo" in raw or "id_token" in raw:
        merged = {**(raw.get("id_token") or {}), **(raw.get("userinfo") or {})}
    else:
        merged = raw
    out = {}
    for name, value in merged.items():
        values = value if isinstance(value, list | tuple) else [value]
        out[str(name)] = [str(v).strip() for v in values if v is not None and str(v).strip()]
    return out


def _first(attrs, key_name):
    values = (attrs.get(key_name) or []) if key_name else []
    return values[0] if values else ""


def _fold(text):
    """Names compared without case or accents (imports and IdPs disagree on both)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


@dataclass
class Match:
    profile: str
    person: User | None = None
    candidates: list = field(default_factory=list)
    school: School | None = None
    names: dict = field(default_factory=dict)

    @property
    def is_unique(self):
        return self.person is not None


def asserted_profile(idp: IdentityProvider, attrs) -> str:
    mapping = idp.attribute_map or {}
    allowed = idp.allowed_profiles
    asserted = set(attrs.get(mapping.get("profile") or "", []))
    if asserted:
        for profile, values in (mapping.get("profile_values") or {}).items():
            if asserted & set(values) and profile in allowed:
                return profile
        raise ProfileNotAllowed()
    if len(allowed) == 1:
        # An académie IdP asserts no profile: it only ever signs in staff.
        return next(iter(allowed))
    raise ProfileNotAllowed()


def match_identity(idp: IdentityProvider, attrs: dict[str, list[str]]) -> Match:
    mapping = idp.attribute_map or {}
    profile = asserted_profile(idp, attrs)
    names = {
        "first_name": _first(attrs, mapping.get("first_name")),
        "last_name": _first(attrs, mapping.get("last_name")),
    }
    territory_id = idp.territory_id
    if profile == Profile.PUPIL:
        people = _pupils(territory_id, attrs.get(mapping.get("pupil_id") or "", []))
    elif profile == Profile.PARENT:
        people = _parents(territory_id, attrs.get(mapping.get("children_ids") or "", []), names)
    else:
        people = _staff(territory_id, attrs.get(mapping.get("staff_id") or "", []))
    school_ids = set()
    if profile == Profile.PARENT:
        # The office of the children the IdP named, not of every child of
        # every candidate.
        school_ids = set(
            Enrollment.objects.current()
            .filter(pupil__external_id__in=attrs.get(mapping.get("children_ids") or "", []))
            .filter(school_class__school__territory_id=territory_id)
            .values_list("school_class__school_id", flat=True)
        )
    else:
        for person in people:
            school_ids |= set(person.roles.school_ids)
    school = _school(territory_id, _first(attrs, mapping.get("school_uai")), school_ids)
    match = Match(profile=profile, candidates=people, school=school, names=names)
    if len(people) == 1:
        match.person = people[0]
    return match


def _pupils(territory_id, ines):
    ines = [i for i in ines if i]
    if len(ines) != 1:
        return []
    current = Enrollment.objects.current().filter(school_class__school__territory_id=territory_id)
    return list(User.objects.filter(external_id=ines[0], enrollments__in=current).distinct())


def _parents(territory_id, child_ines, names):
    child_ines = [i for i in child_ines if i]
    if not child_ines or not names["last_name"]:
        return []
    current = Enrollment.objects.current().filter(school_class__school__territory_id=territory_id)
    children = User.objects.filter(external_id__in=child_ines, enrollments__in=current)
    guardians = User.objects.filter(
        id__in=Guardianship.objects.filter(pupil__in=children).values("guardian_id")
    ).distinct()
    wanted_last, wanted_first = _fold(names["last_name"]), _fold(names["first_name"])
    return [
        g
        for g in guardians
        if _fold(g.last_name) == wanted_last and (not wanted_first or _fold(g.first_name) == wanted_first)
    ]


def _staff(territory_id, staff_ids):
    staff_ids = [i for i in staff_ids if i]
    if len(staff_ids) != 1:
        return []
    works_here = Q(id__in=StaffRole.objects.filter(school__territory_id=territory_id).values("user_id")) | Q(
        id__in=TeachingAssignment.objects.filter(
            Q(school_class__school__territory_id=territory_id) | Q(group__school__territory_id=territory_id)
        ).values("teacher_id")
    )
    return list(User.objects.filter(works_here, external_id=staff_ids[0]).distinct())


def _school(territory_id, uai, school_ids):
    """The school whose office resolves a queued identity: the one the IdP
    names, else the only school of the candidates (or of the named children)."""
    if uai:
        school = School.objects.filter(territory_id=territory_id, uai=uai.upper()).first()
        if school is not None:
            return school
    if len(school_ids) == 1:
        return School.objects.filter(id=school_ids.pop(), territory_id=territory_id).first()
    return None
