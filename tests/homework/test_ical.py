"""The per-pupil iCal feed: RFC 5545 parsed back, secret, revocable, one per child."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from homework.models import CalendarFeed
from tests.homework.conftest import make_entry

pytestmark = pytest.mark.django_db


def feed_url(feed):
    return reverse("homework:ical_feed", args=[feed.token])


def test_pupil_makes_a_feed_and_calendar_apps_read_it(world, client, login_as):
    entry = make_entry(world, instructions="<p>Faire les <strong>exercices</strong></p>", minutes=25)
    make_entry(world, target=world.group, title="Version latine", due_in=4)
    make_entry(world, title="Programmé", publish_at=timezone.now() + datetime.timedelta(days=1))
    make_entry(world, target=world.other_class, author=world.other_teacher, title="Autre classe")
    login_as(world.pupil)
    assert client.get(reverse("homework:calendar")).status_code == 200
    assert client.post(reverse("homework:calendar_regenerate"), {"pupil": world.pupil.id}).status_code == 302
    feed = CalendarFeed.objects.get(owner=world.pupil, revoked_at__isnull=True)
    assert feed_url(feed) in client.get(reverse("homework:calendar")).content.decode()

    client.logout()  # calendar apps do not log in
    response = client.get(feed_url(feed))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0" and "PRODID" in calendar
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Mathématiques : Exercices 1 à 4 p. 12", "Mathématiques : Version latine"}
    event = events["Mathématiques : Exercices 1 à 4 p. 12"]
    assert event.decoded("DTSTART") == entry.due_on
    assert event.decoded("DTEND") == entry.due_on + datetime.timedelta(days=1)
    assert str(event["UID"]).startswith(f"homework-{entry.id}@")
    assert "Faire les exercices" in str(event["DESCRIPTION"]) and "<strong>" not in str(event["DESCRIPTION"])
    assert "25 min" in str(event["DESCRIPTION"])


def test_regenerate_and_revoke(world, client, login_as):
    login_as(world.pupil)
    client.post(reverse("homework:calendar_regenerate"), {"pupil": world.pupil.id})
    first = CalendarFeed.objects.get(revoked_at__isnull=True)
    client.post(reverse("homework:calendar_regenerate"), {"pupil": world.pupil.id})
    second = CalendarFeed.objects.get(revoked_at__isnull=True)
    assert first.token != second.token
    assert client.get(feed_url(first)).status_code == 404
    assert client.get(feed_url(second)).status_code == 200
    client.post(reverse("homework:calendar_revoke"), {"pupil": world.pupil.id})
    assert client.get(feed_url(second)).status_code == 404
    assert client.get(reverse("homework:ical_feed", args=["not-a-token"])).status_code == 404


def test_parent_gets_one_feed_per_child(world, client, login_as):
    login_as(world.guardian)
    page = client.get(reverse("homework:calendar")).content.decode()
    assert "Léa" in page and "Hugo" in page
    for child in (world.pupil, world.sibling):
        assert client.post(reverse("homework:calendar_regenerate"), {"pupil": child.id}).status_code == 302
    feeds = CalendarFeed.objects.filter(owner=world.guardian)
    assert {f.pupil_id for f in feeds} == {world.pupil.id, world.sibling.id}
    # Another family's child: refused, nothing made.
    assert client.post(reverse("homework:calendar_regenerate"), {"pupil": world.outsider_pupil.id}).status_code == 404
    assert client.post(reverse("homework:calendar_regenerate"), {"pupil": "abc"}).status_code == 404
    assert feeds.count() == 2


def test_feed_stops_when_the_guardianship_ends(world, client):
    from django.contrib import admin
    from django.test import RequestFactory

    from ent.directory.models import Guardianship

    feed = CalendarFeed.objects.create(owner=world.guardian, pupil=world.pupil)
    assert client.get(feed_url(feed)).status_code == 200
    # Ended where it can end (an import, the admin), which say what they
    # touched: the guardian's roles cached under the directory's version go.
    links = Guardianship.objects.filter(guardian=world.guardian, pupil=world.pupil)
    request = RequestFactory().post("/admin/")
    request.user = world.admin
    admin.site.get_model_admin(Guardianship).delete_queryset(request, links)
    assert client.get(feed_url(feed)).status_code == 404
