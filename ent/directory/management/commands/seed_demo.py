import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ent import storage
from ent.directory import demo
from ent.errors import StorageUnavailable


class Command(BaseCommand):
    help = (
        "Write the demo territory, schools, families and the demo logins (password "
        f"{demo.DEMO_PASSWORD!r}), then each app's demo content. Idempotent. "
        "Refused when DEBUG is off unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though DEBUG is off (the demo logins share a published password).",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo is refused when DEBUG is off: the demo accounts share a published password. "
                "Use --force if this really is a demo server."
            )
        started = time.monotonic()
        context = self.seed_directory()
        context.log = self.stdout.write
        context.s3_available = self.ensure_bucket()
        for hook in demo.run_hooks(context):
            self.stdout.write(f"Demo content: {hook}")
        self.stdout.write(self.style.SUCCESS(f"Demo ready in {time.monotonic() - started:.1f} s."))

    def seed_directory(self):
        try:
            context, created = demo.write_directory()
        except demo.UsernameTaken as exc:
            raise CommandError(str(exc)) from None
        context.created = created
        if created:
            pupils = sum(len(p) for p in context.pupils.values())
            self.stdout.write(
                f"Demo directory written: {len(context.schools)} schools, {len(context.classes)} classes, "
                f"{pupils} pupils, {len(context.teachers)} teachers."
            )
        else:
            self.stdout.write("Demo directory already there: nothing changed.")
        return context

    def ensure_bucket(self) -> bool:
        try:
            storage.ensure_bucket()
        except StorageUnavailable:
            self.stderr.write(
                self.style.WARNING(
                    f"Warning: the object store at {settings.S3_ENDPOINT} does not answer; "
                    f"bucket {settings.S3_BUCKET!r} not checked. Uploads will fail until it runs."
                )
            )
            return False
        self.stdout.write(f"Bucket {settings.S3_BUCKET!r} ready on {settings.S3_ENDPOINT}.")
        return True
