"""The end-of-year PDF archive of a class's diary, built by a Celery task and
stored in the object store."""

import urllib.request

import pytest
from django.urls import reverse

from homework.models import Archive, Visa
from tests.homework.conftest import make_entry

pytestmark = pytest.mark.django_db


def test_direction_gets_the_pdf_of_the_class_diary(world, client, login_as, s3, django_capture_on_commit_callbacks):
    make_entry(world, title="Théorème de Thalès", instructions="<p>Exercices <em>1</em> à 3</p>")
    make_entry(world, kind="lesson", title="Séance : fractions")
    Visa.objects.create(school_class=world.klass, signed_by=world.direction, comment="Bien tenu")
    login_as(world.direction)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("homework:archive_request", args=[f"c{world.klass.id}"]))
    assert response.status_code == 302
    archive = Archive.objects.get()
    assert archive.status == Archive.Status.READY and archive.size > 1000
    assert list(s3.list_keys("homework/archives/")) == [archive.key]
    page = client.get(reverse("homework:diary", args=[f"c{world.klass.id}"])).content.decode()
    assert reverse("homework:archive_download", args=[archive.id]) in page
    response = client.get(reverse("homework:archive_download", args=[archive.id]))
    with urllib.request.urlopen(response.url) as download:
        pdf = download.read()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    # Only the school's direction and vie scolaire open it.
    for persona in (world.teacher, world.staff_b, world.guardian):
        client.logout()
        login_as(persona)
        assert client.get(reverse("homework:archive_download", args=[archive.id])).status_code == 404


def test_building_twice_changes_nothing(world, s3):
    from homework import actions

    archive = Archive.objects.create(school_class=world.klass, requested_by=world.direction)
    actions.do_build_archive(archive.id)
    key = Archive.objects.get().key
    actions.do_build_archive(archive.id)
    assert Archive.objects.get().key == key
    assert list(s3.list_keys("homework/archives/")) == [key]


def test_archives_are_for_classes_not_groups(world, client, login_as):
    login_as(world.direction)
    response = client.post(reverse("homework:archive_request", args=[f"g{world.group.id}"]))
    assert response.status_code == 302 and not Archive.objects.exists()
