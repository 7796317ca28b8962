"""media 0004: the old file states become the file gate's, and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ent.files import ScanState
from media.models import Item, Version

BEFORE = [("media", "0003_store_trust")]
AFTER = [("media", "0004_file_states_held_offered")]


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def migrate_to_latest():
    """Every app back at its newest migration (not media 0004's: a later one
    left unapplied breaks every test after this one)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_old_states_map_to_the_gates_states(world):
    item = Item.objects.create(school=world.school, kind="document", title="Cours", created_by=world.teacher)
    ids = {}
    for number, old in enumerate(("pending", "failed", "clean", "infected"), start=1):
        ids[old] = Version.objects.create(
            item=item, number=number, filename="a.pdf", content_type="application/pdf", size=1, sha256="0" * 64
        ).id
    try:
        old_apps = migrate(BEFORE)
        OldVersion = old_apps.get_model("media", "Version")
        for old, pk in ids.items():
            OldVersion.objects.filter(pk=pk).update(scan=old)
        migrate(AFTER)
        got = dict(Version.objects.filter(pk__in=ids.values()).values_list("id", "scan"))
        assert {old: got[pk] for old, pk in ids.items()} == {
            "pending": ScanState.HELD,
            "failed": ScanState.HELD,
            "clean": ScanState.OFFERED,
            "infected": ScanState.INFECTED,
        }
        old_apps = migrate(BEFORE)
        back = dict(old_apps.get_model("media", "Version").objects.values_list("id", "scan"))
        assert {old: back[pk] for old, pk in ids.items()} == {
            "pending": "pending",
            "failed": "pending",
            "clean": "clean",
            "infected": "infected",
        }
    finally:
        migrate_to_latest()
