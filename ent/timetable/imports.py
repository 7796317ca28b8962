"""Reading a timetable file: the STS-web "emploi du temps" XML, or a plain CSV.

Why STS-web's XML (``sts_emp_<UAI>_<année>.xml``): every French collège and
lycée already produces it. The timetable software (EDT, UnDeuxTEMPS, Pronote's
timetable module...) sends its timetable up to STS-web each year, and STS-web's
"Mise à jour > Exports > Emplois du temps" gives it back as one XML file with
the same structure whatever software made it: the subjects
(NOMENCLATURES/MATIERES/MATIERE CODE), the teachers (INDIVIDUS/INDIVIDU ID, the
national EPP id), and for each class (STRUCTURE/DIVISIONS/DIVISION CODE) or
group (GROUPES/GROUPE CODE) its SERVICES: subject, teachers and their
COURS_RATTACHES/COURS (JOUR 1 = Monday, HEURE_DEBUT "0800", DUREE "0055",
CODE_SALLE, CODE_ALTERNANCE). The software's own exports differ from one
vendor to the next and between versions; this one is the national format
that school-life tools (SambaEdu, GEPI, ENTs) already read.

CODE_ALTERNANCE: blank, "H" (hebdomadaire) or "W" mean every week; "A"/"SA"/
"Q1" week A and "B"/"SB"/"Q2" week B; anything else is refused (the A/B
calendar of the year is kept in the ENT, see models.Week).

The CSV (for a school without STS or a primary school): one line per weekly
lesson, ";" or "," separated, UTF-8 or Windows-1252, with these FR headers:
``jour`` (lundi..samedi or 1..6), ``debut`` and ``fin`` (08:00, 8h00) or
``demi_journee`` (matin / après-midi) for primary schools, ``classe`` or
``groupe``, ``matiere`` (code or name, optional in primary), ``professeurs``
(identifiants, usernames or "NOM Prénom", separated by "|"), ``salle``,
``semaine`` (blank, A or B).

Nothing here writes: parse() turns any bytes into rows and issues (a line and
a field each), plan() matches them against the school; actions.py applies."""

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import time

from django.utils.translation import gettext as _
from lxml import etree

from ent.directory.imports.parsing import decode, fold, normalize, sniff_content
from ent.directory.models import Group, SchoolClass, Subject, User

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
PRIMARY_HOURS = {"am": (time(8, 30), time(11, 45)), "pm": (time(13, 30), time(16, 30))}
ALTERNANCE = {"": "all", "H": "all", "W": "all", "A": "A", "SA": "A", "Q1": "A", "B": "B", "SB": "B", "Q2": "B"}
DAYS = {"lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5}
HALF_DAYS = {"matin": "am", "am": "am", "apres midi": "pm", "apresmidi": "pm", "pm": "pm"}
CSV_HEADERS = {
    "jour": "weekday",
    "debut": "start",
    "fin": "end",
    "demi journee": "half_day",
    "classe": "class",
    "division": "class",
    "groupe": "group",
    "matiere": "subject",
    "professeurs": "teachers",
    "professeur": "teachers",
    "salle": "room",
    "semaine": "weeks",
}


@dataclass
class SlotRow:
    line: int
    weekday: int | None = None
    start: time | None = None
    end: time | None = None
    half_day: str = ""
    class_code: str = ""
    group_code: str = ""
    subject_code: str = ""
    subject_name: str = ""
    teachers: list = field(default_factory=list)  # ids or names as written
    teacher_names: dict = field(default_factory=dict)  # XML: EPP id -> "NOM Prénom"
    room: str = ""
    weeks: str = "all"


@dataclass
class Parsed:
    format: str = ""
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # {"line", "field", "message"}

    def error(self, line, field_name, message):
        self.errors.append({"line": line, "field": field_name, "message": str(message)})


def parse(data: bytes) -> Parsed:
    """Any bytes in, rows and issues out; never raises."""
    parsed = Parsed()
    if len(data) > MAX_BYTES:
        parsed.error(0, "", _("The file is larger than 5 MB: this is not a timetable export."))
        return parsed
    head = data[:512].lstrip(b"\xef\xbb\xbf \r\n\t")
    if head.startswith(b"<"):
        _parse_xml(data, parsed)
    else:
        _parse_csv(data, parsed)
    return parsed


def _clock(value):
    """ "0800", "08:00", "8h00", "8 h 05" -> time, or None."""
    m = re.fullmatch(r"\s*(\d{1,2})\s*(?:[:hH]\s*)?(\d{2})?\s*", value or "")
    if not m:
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if len(value.strip()) == 4 and value.strip().isdigit():
        hour, minute = int(value[:2]), int(value[2:])
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _parse_xml(data, parsed):
    parsed.format = "sts"
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        parsed.error(exc.lineno or 0, "", _("This XML file cannot be read: %(why)s") % {"why": exc.msg})
        return
    if root.tag != "STS_EDT":
        parsed.error(root.sourceline or 1, root.tag, _("This is not an STS-web timetable export (STS_EDT expected)."))
        return
    subjects = {
        m.get("CODE", ""): (
            m.findtext("CODE_GESTION") or "",
            m.findtext("LIBELLE_COURT") or m.findtext("LIBELLE_LONG") or "",
        )
        for m in root.iter("MATIERE")
    }
    people = {
        i.get("ID", ""): f"{i.findtext('NOM_USAGE') or ''} {i.findtext('PRENOM') or ''}".strip()
        for i in root.iter("INDIVIDU")
    }
    for holder, kind in [(d, "class") for d in root.iter("DIVISION")] + [(g, "group") for g in root.iter("GROUPE")]:
        if holder.find("SERVICES") is None:
            continue
        code = holder.get("CODE", "")
        for service in holder.iterfind("SERVICES/SERVICE"):
            subject = service.get("CODE_MATIERE", "")
            gestion, label = subjects.get(subject, ("", ""))
            for teacher in service.iterfind("ENSEIGNANTS/ENSEIGNANT"):
                tid = teacher.get("ID", "")
                for cours in teacher.iterfind("COURS_RATTACHES/COURS"):
                    if len(parsed.rows) >= MAX_ROWS:
                        parsed.error(cours.sourceline, "", _("Too many lessons in one file."))
                        return
                    _xml_row(cours, parsed, kind, code, subject, gestion, label, tid, people)


def _xml_row(cours, parsed, kind, code, subject, gestion, label, tid, people):
    line = cours.sourceline or 0
    row = SlotRow(
        line=line, subject_code=gestion or subject, subject_name=label, room=cours.findtext("CODE_SALLE") or ""
    )
    row.teachers, row.teacher_names = [tid], {tid: people.get(tid, "")}
    if kind == "class":
        row.class_code = code
    else:
        row.group_code = code
    day = (cours.findtext("JOUR") or "").strip()
    if not day.isdigit() or not 1 <= int(day) <= 6:
        parsed.error(line, "JOUR", _("Day “%(value)s” is not 1 (Monday) to 6 (Saturday).") % {"value": day})
        return
    row.weekday = int(day) - 1
    row.start = _clock(cours.findtext("HEURE_DEBUT") or "")
    duration = _clock(cours.findtext("DUREE") or "")
    if row.start is None:
        parsed.error(line, "HEURE_DEBUT", _("This start time cannot be read."))
        return
    if duration is None or (duration.hour, duration.minute) == (0, 0):
        parsed.error(line, "DUREE", _("This duration cannot be read."))
        return
    minutes = row.start.hour * 60 + row.start.minute + duration.hour * 60 + duration.minute
    if minutes >= 24 * 60:
        parsed.error(line, "DUREE", _("This lesson ends after midnight."))
        return
    row.end = time(minutes // 60, minutes % 60)
    alternance = (cours.findtext("CODE_ALTERNANCE") or "").strip().upper()
    if alternance not in ALTERNANCE:
        parsed.error(
            line, "CODE_ALTERNANCE", _("Week “%(value)s” is neither every week, A nor B.") % {"value": alternance}
        )
        return
    row.weeks = ALTERNANCE[alternance]
    parsed.rows.append(row)


def _parse_csv(data, parsed):
    parsed.format = "csv"
    issue = sniff_content(data[:512])
    if issue == "empty":
        parsed.error(0, "", _("The file is empty."))
        return
    if issue is not None:
        parsed.error(0, "", _("This is not a timetable file (a CSV text or an STS-web XML export)."))
        return
    text, _encoding, issue = decode(data)
    if text is None:
        parsed.error(0, "", _("The file's encoding cannot be read: save it as CSV UTF-8."))
        return
    lines = text.splitlines()
    first = lines[0] if lines else ""
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        headers = [CSV_HEADERS.get(normalize(h), "") for h in next(reader)]
    except (StopIteration, csv.Error):
        parsed.error(1, "", _("The file is empty."))
        return
    missing = {"weekday", "class"} - set(headers) if "group" not in headers else {"weekday"} - set(headers)
    if missing or ("start" not in headers and "half_day" not in headers):
        parsed.error(1, "", _("Columns jour, debut/fin (or demi_journee) and classe (or groupe) are needed."))
        return
    try:
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(parsed.rows) >= MAX_ROWS:
                parsed.error(number, "", _("Too many lessons in one file."))
                return
            _csv_row(number, dict(zip(headers, (v.strip() for v in values), strict=False)), parsed)
    except csv.Error as exc:
        parsed.error(reader.line_num, "", _("This line cannot be read: %(why)s") % {"why": exc})


def _csv_row(line, values, parsed):
    row = SlotRow(line=line, room=values.get("room", ""))
    day = normalize(values.get("weekday", ""))
    row.weekday = DAYS.get(day, int(day) - 1 if day.isdigit() and 1 <= int(day) <= 6 else None)
    if row.weekday is None:
        parsed.error(line, "jour", _("Day “%(value)s” is not Monday to Saturday.") % {"value": values.get("weekday")})
        return
    half = normalize(values.get("half_day", ""))
    if half:
        if half not in HALF_DAYS:
            parsed.error(
                line, "demi_journee", _("Half-day “%(value)s” is neither matin nor après-midi.") % {"value": half}
            )
            return
        row.half_day = HALF_DAYS[half]
        row.start, row.end = PRIMARY_HOURS[row.half_day]
    else:
        row.start, row.end = _clock(values.get("start", "")), _clock(values.get("end", ""))
        if row.start is None:
            parsed.error(line, "debut", _("This start time cannot be read."))
            return
        if row.end is None or row.end <= row.start:
            parsed.error(line, "fin", _("The end must be after the start."))
            return
    row.class_code, row.group_code = values.get("class", ""), values.get("group", "")
    if bool(row.class_code) == bool(row.group_code):
        parsed.error(line, "classe", _("Give a class or a group (one of the two)."))
        return
    row.subject_code = values.get("subject", "")
    row.teachers = [t.strip() for t in values.get("teachers", "").split("|") if t.strip()]
    weeks = values.get("weeks", "").upper()
    if weeks not in ("", "A", "B"):
        parsed.error(line, "semaine", _("Week “%(value)s” is neither blank, A nor B.") % {"value": weeks})
        return
    row.weeks = weeks or "all"
    parsed.rows.append(row)


@dataclass
class PlannedSlot:
    key: str
    line: int
    fields: dict
    teacher_ids: list


@dataclass
class Plan:
    slots: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    format: str = ""

    @property
    def ok(self):
        return not self.errors


def plan(parsed: Parsed, school, year) -> Plan:
    """Match the rows with the school's classes, groups, subjects and
    teachers; find overlaps; count what applying would change."""
    out = Plan(errors=list(parsed.errors))
    classes = {fold(c.name): c for c in SchoolClass.objects.filter(school=school, year=year)}
    classes |= {fold(c.external_id): c for c in SchoolClass.objects.filter(school=school, year=year) if c.external_id}
    groups = {fold(g.name): g for g in Group.objects.filter(school=school, year=year)}
    subjects = {}
    for s in Subject.objects.filter(school=school):
        subjects[fold(s.code)] = subjects.get(fold(s.code)) or s
        subjects.setdefault(fold(s.name), s)
    teachers = _teachers(school)
    seen_teacher, seen_room, seen_target = {}, {}, {}
    for row in parsed.rows:
        target = classes.get(fold(row.class_code)) if row.class_code else groups.get(fold(row.group_code))
        if target is None:
            field_name = "classe" if row.class_code else "groupe"
            out.errors.append(
                _issue(
                    row.line,
                    field_name,
                    _("Unknown class or group “%(value)s”.") % {"value": row.class_code or row.group_code},
                )
            )
            continue
        subject = None
        if row.subject_code or row.subject_name:
            subject = subjects.get(fold(row.subject_code)) or subjects.get(fold(row.subject_name))
            if subject is None:
                out.errors.append(
                    _issue(
                        row.line,
                        "matiere",
                        _("Unknown subject “%(value)s”.") % {"value": row.subject_name or row.subject_code},
                    )
                )
                continue
        elif not school.is_primary:
            out.errors.append(_issue(row.line, "matiere", _("A subject is needed in a secondary school.")))
            continue
        ids = []
        for written in row.teachers:
            found = teachers.get(fold(written)) or teachers.get(fold(row.teacher_names.get(written, "")))
            if found is None:
                out.errors.append(
                    _issue(
                        row.line,
                        "professeurs",
                        _("Unknown teacher “%(value)s”.") % {"value": row.teacher_names.get(written) or written},
                    )
                )
                break
            ids.append(found)
        else:
            fields = {
                "weekday": row.weekday,
                "starts_at": row.start,
                "ends_at": row.end,
                "half_day": row.half_day,
                "subject_id": subject.pk if subject else None,
                "school_class_id": target.pk if isinstance(target, SchoolClass) else None,
                "group_id": target.pk if isinstance(target, Group) else None,
                "room": row.room,
                "weeks": row.weeks,
            }
            key = _key(fields)
            if key in seen_target:
                # The same lesson once per teacher (STS lists a co-taught
                # lesson under each of its teachers): one slot, both teachers.
                same = seen_target[key]
                same.teacher_ids = sorted(set(same.teacher_ids) | set(ids))
                continue
            if _overlaps(out, row, fields, ids, seen_teacher, seen_room):
                continue
            seen_target[key] = PlannedSlot(key=key, line=row.line, fields=fields, teacher_ids=sorted(set(ids)))
            out.slots.append(seen_target[key])
    return out


def _issue(line, field_name, message):
    return {"line": line, "field": field_name, "message": str(message)}


def _key(fields):
    """A slot's identity across imports: when, for whom, what (not the room or
    the teachers, which a re-import may change)."""
    raw = "|".join(
        str(fields[k]) for k in ("weekday", "starts_at", "school_class_id", "group_id", "subject_id", "weeks")
    )
    return "imp:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def _clash(a, b):
    return (
        a["weekday"] == b["weekday"]
        and a["starts_at"] < b["ends_at"]
        and b["starts_at"] < a["ends_at"]
        and (a["weeks"] == "all" or b["weeks"] == "all" or a["weeks"] == b["weeks"])
    )


def _overlaps(out, row, fields, ids, seen_teacher, seen_room):
    for teacher_id in ids:
        for other_line, other in seen_teacher.get(teacher_id, ()):
            if _clash(fields, other):
                out.errors.append(
                    _issue(
                        row.line,
                        "professeurs",
                        _("This teacher already has a lesson at this time (line %(line)s).") % {"line": other_line},
                    )
                )
                return True
    if fields["room"]:
        for other_line, other in seen_room.get(fields["room"], ()):
            if _clash(fields, other):
                out.errors.append(
                    _issue(
                        row.line,
                        "salle",
                        _("This room is already used at this time (line %(line)s).") % {"line": other_line},
                    )
                )
                return True
    for teacher_id in ids:
        seen_teacher.setdefault(teacher_id, []).append((row.line, fields))
    if fields["room"]:
        seen_room.setdefault(fields["room"], []).append((row.line, fields))
    return False


def _teachers(school) -> dict:
    """The school's teachers by every way a file names them: EPP/external id,
    username, "NOM Prénom" and "Prénom NOM"."""
    out = {}
    people = User.objects.filter(teaching_assignments__school_class__school=school) | User.objects.filter(
        teaching_assignments__group__school=school
    )
    for person in people.distinct().only("id", "username", "external_id", "first_name", "last_name"):
        for name in (
            person.external_id,
            person.username,
            f"{person.last_name} {person.first_name}",
            f"{person.first_name} {person.last_name}",
        ):
            if name and fold(name):
                out.setdefault(fold(name), person.pk)
    return out
