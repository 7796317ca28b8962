"""Bytes of a school's CSV export → rows keyed by canonical field names.

Never raises on bad input: every problem becomes an issue with a line and a
field, so a person gets one report of everything to fix. Headers are matched
case- and accent-insensitively against the names ONDE, SIECLE and STS use.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from ent import phones

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000
PUPILS = "pupils"
STAFF = "staff"

# Canonical field → header spellings, after normalize(): lower case, no accents,
# punctuation as spaces.
PUPIL_FIELDS = {
    "last_name": [
        "nom",
        "nom eleve",
        "nom de famille",
        "nom de famille eleve",
        "nom d usage",
        "nom d usage eleve",
        "nom usage",
        "nom famille",
        "nom patronymique",
    ],
    "first_name": ["prenom", "prenom eleve", "prenom 1", "prenom1", "premier prenom", "prenom usuel"],
    "birth_date": [
        "date de naissance",
        "date naissance",
        "date naiss",
        "date de naissance eleve",
        "ne le",
        "ne e le",
        "naissance",
    ],
    "ine": [
        "ine",
        "id national",
        "identifiant national",
        "numero national",
        "ine eleve",
        "n ine",
        "numero ine",
        "ine bea",
    ],
    "class_name": ["classe", "division", "libelle classe", "classe eleve", "nom classe", "div", "libelle division"],
    "level": ["niveau", "mef", "code mef", "libelle mef", "niveau eleve", "libelle niveau"],
    "uai": ["uai", "rne", "code uai", "uai etablissement", "etablissement uai", "code rne"],
}
STAFF_FIELDS = {
    "last_name": ["nom", "nom de famille", "nom d usage", "nom usage", "nom patronymique"],
    "first_name": ["prenom", "prenom 1", "premier prenom"],
    "birth_date": ["date de naissance", "date naissance", "date naiss"],
    "email": ["email", "e mail", "courriel", "mel", "mail", "adresse mail", "adresse electronique", "adresse email"],
    "phone": ["telephone", "tel", "portable", "telephone portable"],
    "external_id": ["identifiant", "id", "id sts", "identifiant sts", "numero", "id agent", "identifiant agent"],
    "role": ["fonction", "role", "categorie", "profil", "code fonction", "type", "libelle fonction"],
    "subject": ["discipline", "matiere", "discipline principale", "code discipline", "libelle discipline"],
    "classes": ["classes", "divisions", "classe", "division", "services", "classes enseignees"],
    "uai": ["uai", "rne", "code uai"],
}
GUARDIAN_FIELDS = {
    "last_name": ["nom", "nom d usage", "nom de famille", "nom usage"],
    "first_name": ["prenom"],
    "email": ["courriel", "email", "e mail", "mel", "mail", "adresse mail", "adresse electronique"],
    "phone": ["telephone portable", "tel portable", "portable", "telephone", "tel", "telephone mobile", "mobile"],
    "relationship": ["lien", "lien de parente", "lien parente", "parente", "qualite", "lien avec l eleve"],
    "external_id": ["identifiant", "id", "id responsable", "numero"],
}
# Columns real exports carry that the directory does not keep: read and ignored
# without a warning.
IGNORED = {
    "sexe",
    "genre",
    "cycle",
    "date inscription",
    "date d inscription",
    "date entree",
    "date d entree",
    "date sortie",
    "deuxieme prenom",
    "troisieme prenom",
    "prenom 2",
    "prenom 3",
    "prenom2",
    "prenom3",
    "adresse",
    "adresse 1",
    "adresse 2",
    "code postal",
    "commune",
    "ville",
    "pays",
    "regime",
    "statut",
    "nationalite",
    "etat",
    "civilite",
    "lieu de naissance",
    "commune de naissance",
    "etablissement",
    "nom etablissement",
    "telephone domicile",
    "telephone travail",
    "tel domicile",
    "tel travail",
    "profession",
    "autorite parentale",
    "grade",
    "corps",
}
GUARDIAN_MARKERS = {"resp", "responsable", "representant", "rl", "parent", "legal", "leg", "l", "du", "de", "la"}
MANDATORY = {
    PUPILS: ["last_name", "first_name", "birth_date", "class_name"],
    STAFF: ["last_name", "first_name", "role"],
}
MAX_LENGTH = {
    "last_name": 150,
    "first_name": 150,
    "class_name": 100,
    "level": 20,
    "subject": 100,
    "relationship": 50,
    "external_id": 64,
    "ine": 11,
    "email": 254,
    "phone": 32,
    "classes": 1000,
    "uai": 8,
    "role": 100,
}
INE_RE = re.compile(r"^[0-9A-Z]{11}$")
# Magic bytes of the files people upload instead of a CSV.
SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"\x7fELF", b"MZ")


def normalize(header: str) -> str:
    folded = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"[^a-z0-9]+", " ", folded)
    # "rl1", "resp2", "prenom1" → "rl 1": indexes become their own token.
    folded = re.sub(r"([a-z])([12])\b", r"\1 \2", folded)
    return " ".join(folded.split())


def fold(value: str) -> str:
    """A comparison key for names: no accents, case, spaces or hyphens."""
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower())


@dataclass
class Row:
    line: int
    values: dict
    guardians: list = field(default_factory=list)  # [{"index": 1, "last_name": ...}]


@dataclass
class ParsedFile:
    kind: str
    encoding: str = ""
    delimiter: str = ""
    detected_format: str = ""
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    total_rows: int = 0

    def error(self, line, field_name, code, **params):
        self.errors.append({"line": line, "field": field_name, "code": code, "params": params})

    def warn(self, line, field_name, code, **params):
        self.warnings.append({"line": line, "field": field_name, "code": code, "params": params})


def sniff_content(head: bytes) -> str | None:
    """An issue code if the first bytes show this is not a text CSV."""
    if not head.strip():
        return "empty"
    if head.startswith(SPREADSHEET_MAGIC):
        return "spreadsheet"
    if head.startswith(BINARY_MAGIC):
        return "binary"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16 with a byte order mark (Excel's "Unicode text")
    if b"\x00" in head:
        return "binary"
    return None


def decode(data: bytes) -> tuple[str | None, str, str | None]:
    """(text, encoding, issue code). UTF-8 first (with or without BOM), then
    Windows-1252 / Latin-1, which is what older exports use."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        try:
            return data.decode("utf-8"), "utf-8", None
        except UnicodeDecodeError:
            return None, "", "encoding"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", None
        except UnicodeDecodeError:
            return None, "", "encoding"
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "latin-1"
    # Control characters mean a binary file or an encoding we cannot guess.
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", text):
        return None, encoding, "encoding" if b"\x00" not in data else "binary"
    return text, encoding, None


def sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] else ";"


def map_headers(headers: list[str], kind: str, parsed: ParsedFile) -> dict[int, str]:
    """Column index → canonical field ("last_name", "g1_email" ...)."""
    table = PUPIL_FIELDS if kind == PUPILS else STAFF_FIELDS
    lookup = {alias: name for name, aliases in table.items() for alias in aliases}
    guardian_lookup = {alias: name for name, aliases in GUARDIAN_FIELDS.items() for alias in aliases}
    mapping: dict[int, str] = {}
    seen: dict[str, int] = {}
    for index, raw in enumerate(headers):
        header = normalize(raw)
        if not header:
            continue
        name = lookup.get(header)
        if name is None and kind == PUPILS:
            name = _guardian_field(header, guardian_lookup)
        if name is None:
            if header not in IGNORED:
                parsed.warn(1, "header", "unknown_column", column=raw.strip()[:80])
            continue
        if name in seen:
            parsed.warn(1, "header", "duplicate_column", column=raw.strip()[:80])
            continue
        seen[name] = index
        mapping[index] = name
    return mapping


def _guardian_field(header: str, lookup: dict) -> str | None:
    tokens = header.split()
    indexes = [t for t in tokens if t in ("1", "2")]
    if len(indexes) != 1 or not any(t in ("resp", "responsable", "representant", "rl", "parent") for t in tokens):
        return None
    rest = " ".join(t for t in tokens if t not in GUARDIAN_MARKERS and t not in ("1", "2"))
    name = lookup.get(rest)
    return f"g{indexes[0]}_{name}" if name else None


def detect_format(fields: set[str], kind: str) -> str:
    if kind == STAFF:
        return "STS"
    if "ine" in fields and "level" in fields and "class_name" in fields:
        return "ONDE/SIECLE"
    return "SIECLE" if {"class_name"} & fields and "level" not in fields else "ONDE"


def parse_date(value: str) -> date | None:
    value = value.strip()
    for pattern, order in (
        (r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", "dmy"),
        (r"^(\d{4})-(\d{1,2})-(\d{1,2})$", "ymd"),
    ):
        m = re.match(pattern, value)
        if m:
            a, b, c = (int(x) for x in m.groups())
            day, month, year = (a, b, c) if order == "dmy" else (c, b, a)
            try:
                parsed = date(year, month, day)
            except ValueError:
                return None
            return parsed if 1900 <= parsed.year <= date.today().year else None
    return None


def parse_bytes(data: bytes, kind: str) -> ParsedFile:
    """The whole report for one file. Any bytes in, never an exception out."""
    parsed = ParsedFile(kind=kind)
    if len(data) > MAX_BYTES:
        parsed.error(0, "file", "too_big", size=len(data) // (1024 * 1024), limit=MAX_BYTES // (1024 * 1024))
        return parsed
    problem = sniff_content(data[:8192])
    if problem:
        parsed.error(0, "file", problem)
        return parsed
    text, parsed.encoding, problem = decode(data)
    if problem:
        parsed.error(0, "file", problem)
        return parsed
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        parsed.error(0, "file", "empty")
        return parsed
    parsed.delimiter = sniff_delimiter(lines[first])
    try:
        _read_rows(text, parsed)
    except csv.Error as exc:
        parsed.error(0, "file", "csv_error", detail=str(exc)[:200])
    return parsed


def _read_rows(text: str, parsed: ParsedFile) -> None:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=parsed.delimiter)
    header, mapping = None, {}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if header is None:
            header = values
            mapping = map_headers(header, parsed.kind, parsed)
            fields = set(mapping.values())
            if not fields:
                parsed.error(line, "header", "no_header")
                return
            for required in MANDATORY[parsed.kind]:
                if required not in fields:
                    parsed.error(line, "header", "missing_column", column=required)
            if parsed.errors:
                return
            parsed.detected_format = detect_format(fields, parsed.kind)
            continue
        parsed.total_rows += 1
        if parsed.total_rows > MAX_ROWS:
            parsed.error(line, "file", "too_many_rows", limit=MAX_ROWS)
            return
        if len(values) > len(header) and any(v.strip() for v in values[len(header) :]):
            parsed.warn(line, "file", "extra_values")
        raw = {name: values[i].strip() if i < len(values) else "" for i, name in mapping.items()}
        parsed.rows.append(_clean_row(line, raw, parsed))
    if header is None:
        # Only separators and blanks: no column names, so the file must not read
        # as "nobody" (with the whole-school scope that would mark everyone as gone).
        parsed.error(0, "file", "no_header")


def _clean_row(line: int, raw: dict, parsed: ParsedFile) -> Row:
    values: dict = {}
    guardians: dict[str, dict] = {}
    for name, value in raw.items():
        base = name.split("_", 1)[1] if name[0] == "g" and name[1:2].isdigit() else name
        limit = MAX_LENGTH.get(base)
        if limit and len(value) > limit:
            parsed.error(line, name, "too_long", limit=limit)
            value = ""
        if base == "birth_date" and value:
            when = parse_date(value)
            if when is None:
                parsed.error(line, name, "bad_date", value=value[:40])
            value = when
        elif base == "email" and value:
            value = value.lower()
            try:
                validate_email(value)
            except ValidationError:
                parsed.error(line, name, "bad_email", value=value[:80])
                value = ""
        elif base == "phone" and value:
            # Stored in E.164 so the SMS gateway, matching and display all read one form.
            try:
                value = phones.normalize_phone(value)
            except phones.InvalidPhoneNumber:
                parsed.error(line, name, "bad_phone", value=value[:40])
                value = ""
        elif base == "ine" and value:
            value = value.upper().replace(" ", "")
            if not INE_RE.match(value):
                parsed.error(line, name, "bad_ine", value=value[:40])
                value = ""
        elif base == "uai":
            value = value.upper()
        if name != base:
            guardians.setdefault(name[:2], {"index": int(name[1])})[base] = value
        else:
            values[name] = value
    for required in MANDATORY[parsed.kind]:
        if not values.get(required) and not any(
            e["line"] == line and e["field"] == required for e in parsed.errors[-10:]
        ):
            parsed.error(line, required, "required")
    row = Row(line=line, values=values)
    for key in sorted(guardians):
        g = guardians[key]
        if not any(g.get(k) for k in ("last_name", "first_name", "email", "phone", "external_id")):
            continue  # no second guardian on this line
        for required in ("last_name", "first_name"):
            if not g.get(required):
                parsed.error(line, f"{key}_{required}", "required")
        row.guardians.append(g)
    return row
