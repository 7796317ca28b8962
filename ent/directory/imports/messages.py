"""Issues are stored as codes + params and worded when shown, in the reader's language."""

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "empty": _("The file is empty."),
    "too_big": _("The file is too big ({size} MB); the limit is {limit} MB."),
    "binary": _("This is not a CSV text file. Export the list as CSV (semicolon or comma separated) and try again."),
    "spreadsheet": _("This is a spreadsheet file, not CSV. Open it and save it as “CSV (separator: semicolon)”."),
    "encoding": _("The characters of the file cannot be read. Save it as CSV in UTF-8 or Latin-1 (ISO-8859-1)."),
    "no_header": _("The first line must name the columns (nom, prénom, date de naissance, classe …)."),
    "missing_column": _("The column “{column}” is missing."),
    "unknown_column": _("The column “{column}” is not known and will be ignored."),
    "duplicate_column": _("The column “{column}” appears twice; only the first one is read."),
    "too_many_rows": _("The file has more than {limit} lines; split it by class."),
    "csv_error": _("This line cannot be read as CSV: {detail}"),
    "extra_values": _("This line has more values than there are columns; the extra values are ignored."),
    "required": _("This field is required."),
    "too_long": _("This value is too long (at most {limit} characters)."),
    "bad_date": _("“{value}” is not a date (expected day/month/year, for example 04/09/2016)."),
    "bad_email": _("“{value}” is not a valid email address."),
    "bad_phone": _(
        "“{value}” is not a valid phone number. Write a French number as 06 12 34 56 78 (overseas too, "
        "e.g. 0692 12 34 56), or another country's in international format, e.g. +44 7911 123456."
    ),
    "bad_ine": _("“{value}” is not a valid INE (11 letters or digits)."),
    "bad_role": _("“{value}” is not a known function (enseignant, direction, CPE, secrétariat, référent)."),
    "duplicate_pupil": _("This pupil is already on line {other}."),
    "duplicate_person": _("This person is already on line {other}."),
    "other_school_row": _("This line belongs to another school (UAI {value}); import it from that school."),
    "enrolled_elsewhere": _("This pupil is still enrolled at {school}; their departure must be recorded there first."),
    "guardian_other_school": _(
        "This guardian is also given on line {other}, for a pupil of another school: check the file."
    ),
    "email_taken": _("The email {value} already belongs to another account; it was not changed."),
    "no_current_year": _("The school has no current school year: do the year rollover first."),
    "stale": _("The directory changed since the preview; check the new preview before applying."),
    "storage": _("The file could not be read from the file store. Please try again later."),
    "infected": _("The antivirus found a threat in this file: it was deleted and nothing was imported."),
}

FIELD_LABELS = {
    "last_name": _("last name"),
    "first_name": _("first name"),
    "birth_date": _("birth date"),
    "ine": _("INE"),
    "class_name": _("class"),
    "level": _("level"),
    "uai": _("UAI"),
    "email": _("email"),
    "phone": _("phone"),
    "role": _("function"),
    "subject": _("subject"),
    "classes": _("classes"),
    "external_id": _("identifier"),
    "file": _("file"),
    "header": _("columns"),
}


def field_label(field: str) -> str:
    if field.startswith("g") and "_" in field and field[1].isdigit():
        n, rest = field[1:].split("_", 1)
        return f"{_('guardian')} {n} — {FIELD_LABELS.get(rest, rest)}"
    return str(FIELD_LABELS.get(field, field))


def issue_message(issue: dict) -> str:
    template = MESSAGES.get(issue.get("code"), issue.get("code", ""))
    try:
        return str(template).format(**(issue.get("params") or {}))
    except (KeyError, IndexError, ValueError):
        return str(template)
