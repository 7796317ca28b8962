"""media/access.py: the single-object functions answer 404 for anything that is
not an id (ent.ids.int_id), 404 for "not yours" and 403 for "yours to see, not
to change"."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from media import access, actions
from media.models import Fleet
from tests.media.helpers import link_item, propose

pytestmark = pytest.mark.django_db

NOT_IDS = ["abc", "-1", "0", "1e3", str(10**30), "", None, True, "١٢"]


@pytest.mark.parametrize("value", NOT_IDS)
def test_anything_that_is_not_an_id_is_404(world, value):
    item = link_item(world)
    fleet = Fleet.objects.create(school=world.school, name="Classe mobile")
    referent = world.referent
    calls = [
        lambda: access.access_item(referent, value),
        lambda: access.access_version(referent, value),
        lambda: access.access_download(referent, item.id, value),
        lambda: access.access_illustration(referent, value),
        lambda: access.access_upload_ticket(referent, value),
        lambda: access.access_school_for_proposal(referent, value),
        lambda: access.access_fleet(referent, value),
        lambda: access.access_fleet_app(fleet, value),
        lambda: access.access_tablet(referent, value),
    ]
    if value:
        calls.append(lambda: access.access_version_of(item, value))
    for call in calls:
        with pytest.raises(Http404):
            call()


@pytest.mark.parametrize("value", ["", None, 0])
def test_no_version_named_is_none(world, value):
    assert access.access_version_of(link_item(world), value) is None


def test_for_write_is_403_for_those_who_only_see_it(world):
    item = link_item(world)
    assert access.access_item(world.other_teacher, item.id) == item
    with pytest.raises(PermissionDenied):
        access.access_item(world.other_teacher, item.id, for_write=True)
    with pytest.raises(PermissionDenied):
        access.access_item_for_review(world.teacher, item.id)
    # Another school: 404 even when asking to change it.
    with pytest.raises(Http404):
        access.access_item(world.teacher_b, item.id, for_write=True)


def test_an_approved_item_is_deleted_by_its_approvers_only(world):
    draft = propose(world, kind="link", url="https://fr.wiktionary.org/", title="Brouillon")
    assert access.access_item_for_delete(world.teacher, draft.id) == draft
    approved = link_item(world)
    with pytest.raises(PermissionDenied):
        access.access_item_for_delete(world.teacher, approved.id)
    assert access.access_item_for_delete(world.referent, approved.id) == approved


def test_fleets_are_run_by_approvers_and_only_seen_by_territory_admins(world):
    fleet = Fleet.objects.create(school=world.school, name="Classe mobile")
    tablet, _token = actions.do_enrol_tablet(world.referent, fleet, "T1")
    assert access.access_fleet(world.admin, fleet.id) == fleet
    with pytest.raises(PermissionDenied):
        access.access_fleet(world.admin, fleet.id, for_write=True)
    with pytest.raises(PermissionDenied):
        access.access_tablet(world.admin, tablet.id, for_write=True)
    assert access.access_tablet(world.referent, tablet.id, for_write=True) == tablet
    with pytest.raises(Http404):
        access.access_fleet(world.teacher, fleet.id)
    with pytest.raises(PermissionDenied):
        access.access_fleet_schools(world.admin, for_write=True)
    with pytest.raises(Http404):
        access.access_fleet_schools(world.teacher)
