"""The management pages are reachable from the UI: managers see them from their
home page and the school's page; families find their data export."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

MANAGEMENT = ("import_start", "login_letters", "accounts", "rollover")


def links(world):
    return [reverse(name, args=[world.school.id]) for name in MANAGEMENT]


@pytest.mark.parametrize("persona", ["direction", "vie_scolaire", "admin"])
def test_managers_see_the_management_links(world, client, login_as, persona):
    login_as(getattr(world, persona))
    for url in (reverse("home"), reverse("school_detail", args=[world.school.id])):
        page = client.get(url).content.decode()
        for link in links(world):
            assert link in page, (url, link)


@pytest.mark.parametrize("persona", ["referent", "teacher", "guardian", "staff_b"])
def test_others_do_not(world, client, login_as, persona):
    login_as(getattr(world, persona))
    page = client.get(reverse("home")).content.decode()
    for link in links(world):
        assert link not in page
    response = client.get(reverse("school_detail", args=[world.school.id]))
    if response.status_code == 200:
        for link in links(world):
            assert link not in response.content.decode()


def test_the_home_page_costs_the_same_for_one_school_or_a_territory(world, client, login_as, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ent.directory import pagescopes
    from tests.factories import make_school

    login_as(world.admin)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    for i in range(5):
        make_school(world.territory, name=f"École {i}")
    # Schools are added in the admin, which says it changed the directory (a
    # factory tells no one); then the caches are warmed again, as before `few`.
    pagescopes.bump_directory()
    client.get(reverse("home"))
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(reverse("home")).content.decode()
    assert "École 4" in page


def test_a_family_finds_their_data_export(world, client, login_as):
    login_as(world.guardian)
    export = reverse("privacy_export")
    assert export in client.get(reverse("privacy")).content.decode()
    assert export in client.get(reverse("account_change_password")).content.decode()
    page = client.get(export).content.decode()
    assert 'aria-current="page"' in page and reverse("account_change_password") in page
