from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ent.directory.imports import parsing, plan
from ent.directory.imports.messages import field_label, issue_message
from ent.directory.models import ImportJob, School


class Command(BaseCommand):
    help = (
        "Import a school's CSV export (ONDE / SIECLE pupils and guardians, or STS teachers and staff). "
        "Prints the preview; applies it in one transaction unless --dry-run or the file has errors."
    )

    def add_arguments(self, parser):
        parser.add_argument("uai", help="UAI of the school")
        parser.add_argument("path", help="CSV file")
        parser.add_argument("--kind", choices=[k.value for k in ImportJob.Kind], default=ImportJob.Kind.PUPILS)
        parser.add_argument(
            "--scope",
            choices=[s.value for s in ImportJob.Scope],
            default=ImportJob.Scope.CLASSES,
            help="'school': people missing from the file have left the school",
        )
        parser.add_argument("--dry-run", action="store_true", help="Preview only: change nothing")

    def handle(self, uai, path, kind, scope, dry_run, **options):
        school = School.objects.filter(uai=uai.upper()).first()
        if school is None:
            raise CommandError(f"No school with UAI {uai}.")
        data = self.read(Path(path))
        parsed = parsing.parse_bytes(data, kind)
        with transaction.atomic():
            outcome = plan.run(parsed, school, scope=scope, apply=not dry_run)
        self.report(parsed, outcome)
        if outcome.errors:
            raise CommandError(f"{len(outcome.errors)} error(s): nothing was changed.")
        self.stdout.write(self.style.SUCCESS("Dry run: nothing was changed." if dry_run else "Import applied."))

    def read(self, path: Path) -> bytes:
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        with path.open("rb") as f:
            return f.read(parsing.MAX_BYTES + 1)

    def report(self, parsed, outcome):
        s = outcome.summary
        self.stdout.write(
            f"{parsed.total_rows} lines ({parsed.encoding}, '{parsed.delimiter}'): {s['created']} created, "
            f"{s['updated']} updated, {s['unchanged']} unchanged, {s['deactivated']} deactivated"
        )
        for kind, issues in (("error", outcome.errors), ("warning", outcome.warnings)):
            for issue in issues:
                self.stdout.write(
                    f"  {kind} line {issue['line']} [{field_label(issue['field'])}]: {issue_message(issue)}"
                )
