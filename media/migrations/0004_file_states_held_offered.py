"""Media's file states become the file gate's (ent/files.py ScanState), as on
every other upload surface: pending and failed (no verdict yet, or the scanner
or the store was down) are both "held" (never offered, scanned again by the
beat), clean is "offered", infected stays "infected"."""

from django.db import migrations, models

FORWARD = {"pending": "held", "failed": "held", "clean": "offered", "infected": "infected"}
# Back: "held" cannot tell pending from failed; "pending" is what the old code
# rescanned the same way.
BACKWARD = {"held": "pending", "offered": "clean", "infected": "infected"}


def remap(mapping):
    def run(apps, schema_editor):
        for name in ("Version", "Illustration"):
            model = apps.get_model("media", name)
            for old, new in mapping.items():
                if old != new:
                    model.objects.filter(scan=old).update(scan=new)

    return run


STATES = [
    ("held", "held: being checked by the antivirus"),
    ("offered", "offered: no threat found"),
    ("infected", "infected: refused and deleted"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("media", "0003_store_trust"),
    ]

    operations = [
        migrations.RunPython(remap(FORWARD), remap(BACKWARD)),
        migrations.AlterField(
            model_name="illustration",
            name="scan",
            field=models.CharField(
                choices=STATES, db_index=True, default="held", max_length=10, verbose_name="antivirus check"
            ),
        ),
        migrations.AlterField(
            model_name="version",
            name="scan",
            field=models.CharField(
                choices=STATES, db_index=True, default="held", max_length=10, verbose_name="antivirus check"
            ),
        ),
    ]
