from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("homework", "0002_file_gate_scan_state"),
    ]

    operations = [
        migrations.AddField(
            model_name="calendarfeed",
            name="kind",
            field=models.CharField(
                choices=[("homework", "work to do"), ("timetable", "timetable")], default="homework", max_length=10
            ),
        ),
        migrations.RemoveConstraint(
            model_name="calendarfeed",
            name="homework_one_live_feed",
        ),
        migrations.AddConstraint(
            model_name="calendarfeed",
            constraint=models.UniqueConstraint(
                condition=models.Q(("revoked_at__isnull", True)),
                fields=("owner", "pupil", "kind"),
                name="homework_one_live_feed_per_kind",
            ),
        ),
    ]
