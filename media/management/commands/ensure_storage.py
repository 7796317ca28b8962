"""Create the bucket if missing and set its lifecycle rule. Run at start-up by
`make run` (scripts/run.sh) and by docker compose's migrate step. Idempotent."""

from django.core.management.base import BaseCommand, CommandError

from ent.errors import StorageUnavailable
from media.storage_setup import ensure_storage


class Command(BaseCommand):
    help = "Create the object store bucket if missing and set its lifecycle (abort incomplete uploads after 1 day)."

    def handle(self, *args, **options):
        try:
            lifecycle = ensure_storage()
        except StorageUnavailable as exc:
            raise CommandError("The object store is unreachable: check S3_ENDPOINT and the credentials.") from exc
        if lifecycle:
            self.stdout.write("Bucket ready; incomplete multipart uploads are aborted after 1 day.")
        else:
            self.stdout.write("Bucket ready; the store refused the lifecycle rule (see the log).")
