"""The register's rows show the pupils' photos (the trombinoscope, issue 21)
that the person taking it may see, for one query however many pupils."""

import pytest
from django.urls import reverse

from ent.directory.models import PhotoRefusal, PupilPhoto
from tests.absences.conftest import add_pupils


def photo_url(pupil):
    return reverse("directory:pupil_photo", args=[pupil.id])


def _offered_photo(pupil, school):
    return PupilPhoto.objects.create(
        pupil=pupil, school=school, key=f"directory/photos/t/{pupil.id}.jpg", scan="offered"
    )


@pytest.mark.usefixtures("no_page_cache", "monday")
def test_the_register_shows_the_photos_its_viewer_may_see(world, client, login_as, open_register):
    _offered_photo(world.pupil, world.school)
    PupilPhoto.objects.create(pupil=world.outsider_pupil, school=world.school, key="directory/photos/t/held.jpg")
    register = open_register()
    login_as(world.teacher)
    page = client.get(reverse("absences:register", args=[register.id])).content.decode()
    assert photo_url(world.pupil) in page
    assert photo_url(world.outsider_pupil) not in page  # held: not shown yet
    # A refusal recorded (by any path) hides the photo at once.
    PhotoRefusal.objects.create(pupil=world.pupil, school=world.school)
    page = client.get(reverse("absences:register", args=[register.id])).content.decode()
    assert photo_url(world.pupil) not in page


def _register_queries(world, n, client, login_as, open_register):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_class, teach

    klass = make_class(world.school)
    teach(world.teacher, klass=klass)
    for pupil in add_pupils(klass, n):
        _offered_photo(pupil, world.school)
    register = open_register(target=klass)
    client.logout()
    login_as(world.teacher)
    url = reverse("absences:register", args=[register.id])
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.content.decode().count('class="photo"') == n
    return len(ctx.captured_queries)


@pytest.mark.usefixtures("no_page_cache", "monday")
def test_the_registers_photos_cost_one_query_for_10_or_35_pupils(world, client, login_as, open_register):
    small = _register_queries(world, 10, client, login_as, open_register)
    big = _register_queries(world, 35, client, login_as, open_register)
    assert small == big
    assert big <= 11, big


@pytest.mark.usefixtures("monday")
def test_every_photo_write_makes_the_cached_register_stale(
    world, client, login_as, open_register, django_capture_on_commit_callbacks
):
    """The register is a cached page (ent/pagecache.py) that shows the photos:
    each write of ent/directory/photos.py bumps it (the directory's scope)."""
    from ent.directory import photos
    from tests.pagecache_checks import cache_page, still_cached, write_actions

    register = open_register()
    login_as(world.teacher)
    url = reverse("absences:register", args=[register.id])
    walked = set()

    def check(name, write):
        cache_page(client, url)
        with django_capture_on_commit_callbacks(execute=True):
            write()
        assert not still_cached(client, url), name
        walked.add(name)

    photo = _offered_photo(world.pupil, world.school)
    check("do_delete_photo", lambda: photos.do_delete_photo(photo))
    _offered_photo(world.pupil, world.school)
    check("do_record_refusal", lambda: photos.do_record_refusal(world.vie_scolaire, world.pupil, world.school))
    # Uploads (one by one and zipped) need the store: their bump is the same
    # bump_after_commit(bump_directory) in do_upload_photo, and the scan's
    # verdict bumps through the surface's bump_pages. A withdrawn refusal shows
    # no photo anywhere (the refusal deleted it): nothing cached changes.
    unwalked = {"do_upload_photo", "do_import_photos", "do_withdraw_refusal"}
    assert walked | unwalked == write_actions(photos, defined_here=True)
