from django.core.management.base import BaseCommand, CommandError

from ent.directory import lifecycle
from ent.directory.models import School
from ent.errors import EntError


class Command(BaseCommand):
    help = "Close the current school year and open the next one, promoting classes (CP→CE1 … 6e→5e …)."

    def add_arguments(self, parser):
        parser.add_argument("uai", nargs="*", help="UAI of the schools (all schools with --all)")
        parser.add_argument("--all", action="store_true", help="every school")
        parser.add_argument("--dry-run", action="store_true", help="show the preview; change nothing")

    def handle(self, uai, all, dry_run, **options):
        schools = School.objects.all() if all else School.objects.filter(uai__in=[u.upper() for u in uai])
        if not schools:
            raise CommandError("Name at least one school by UAI, or use --all.")
        for school in schools.order_by("name"):
            try:
                plan = lifecycle.plan_rollover(school) if dry_run else lifecycle.do_rollover(school, by=None)
            except EntError as exc:
                self.stderr.write(f"{school}: {exc.message}")
                continue
            self.stdout.write(f"{school}: {plan.year.name} → {plan.next_name}")
            for move in plan.moves:
                target = move.new_name or "(leave the school)"
                self.stdout.write(f"  {move.klass.name} ({move.pupils}) → {target}")
        self.stdout.write(self.style.SUCCESS("Dry run: nothing was changed." if dry_run else "Rollover done."))
