"""`make run`'s push channel: a VAPID key pair kept in a file under var/, made once."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand

from ent.notify import webpush


class Command(BaseCommand):
    help = (
        "Write a new VAPID key pair (WEBPUSH_VAPID_PRIVATE_KEY / WEBPUSH_VAPID_PUBLIC_KEY lines) to FILE, "
        "unless FILE already holds one. For the demo: production sets the keys in its environment."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="where the KEY=value lines go, e.g. var/vapid.env")

    def handle(self, *args, file, **options):
        path = Path(file)
        if self.holds_a_pair(path):
            self.stdout.write(f"VAPID keys kept: {path}")
            return
        self.write_pair(path, webpush.new_keys())
        self.stdout.write(f"VAPID keys made: {path}")

    def holds_a_pair(self, path: Path) -> bool:
        if not path.is_file():
            return False
        names = {line.split("=", 1)[0] for line in path.read_text().splitlines() if "=" in line}
        return {"WEBPUSH_VAPID_PRIVATE_KEY", "WEBPUSH_VAPID_PUBLIC_KEY"} <= names

    def write_pair(self, path: Path, keys: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Only this account may read the private key (0600 from the start, no window).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write("# The demo's VAPID key pair (manage.py vapid_keys). Delete it to make a new one.\n")
            for name, value in keys.items():
                out.write(f"{name}={value}\n")
