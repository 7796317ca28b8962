import pytest

from ent.directory.demo import load_context, write_directory
from media.demo import seed
from media.models import Fleet, Item

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_reaches_eleve(store):
    context, _ = write_directory()
    context = load_context()
    context.s3_available = True
    context.log = lambda msg: None
    context.build_fdroid = False  # covered by test_fleets; half a minute of Java tools
    seed(context)
    seed(context)
    eleve = context.users["eleve"]
    titles = set(Item.objects.mine(eleve).values_list("title", flat=True))
    assert {"Wiktionnaire", "Calcul mental", "Fiche : les fractions", "Appli ENT (démo)"} <= titles
    fleet = Fleet.objects.get(name="Classe mobile 1")
    assert fleet.tablets.count() == 3
    assert fleet.fleet_items.count() == 1
    assert Item.objects.count() == 4
