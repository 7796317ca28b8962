from django.core.management.base import BaseCommand

from ent.directory import privacy


class Command(BaseCommand):
    help = (
        "Retention purges: accounts of people who left more than three months ago, and logs and audit "
        "entries older than twelve months. Idempotent; each run is logged (PurgeLog)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted; delete nothing")

    def handle(self, dry_run, **options):
        accounts = privacy.purge_departed_accounts(dry_run=dry_run)
        records = privacy.purge_old_records(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"Departed accounts: {verb} {accounts.count} {accounts.details}")
        self.stdout.write(f"Old records: {verb} {records.count} {records.details}")
