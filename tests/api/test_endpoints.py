"""Each endpoint with a bearer token: the right person, another family / another
school (404, as the pages), the wrong method (405) and bad input (a problem,
nothing changed). Query counts pinned for the lists (1 row and many)."""

import datetime
import json

import pytest
from django.utils import timezone

import tests.security.matrix  # noqa: F401  (first: it loads every matrix module, in order)
from absences.models import AbsenceNotice, Reason
from ent.notify.api import notify
from ent.notify.models import Notification
from homework.models import Done, Entry
from messaging import actions as messaging_actions
from messaging.models import AnnouncementRecipient, Message
from tests.security.matrix_homework import _entry
from tests.security.matrix_messaging import _rows

pytestmark = pytest.mark.django_db
V1 = "/api/v1"


def _post(client, url, body, auth):
    return client.post(url, json.dumps(body), content_type="application/json", **auth)


def _monday():
    today = timezone.localdate()
    return today - datetime.timedelta(days=today.weekday())


def _work_this_week(w, title="Exercices"):
    return Entry.objects.create(
        school=w.school,
        school_class=w.klass,
        subject=w.subject,
        author=w.teacher,
        kind=Entry.Kind.WORK,
        title=title,
        given_on=_monday(),
        due_on=_monday() + datetime.timedelta(days=3),
    )


# Me ---------------------------------------------------------------------------------------


def test_me_lists_only_my_children(world, client, bearer):
    body = client.get(f"{V1}/me", **bearer(world.outsider_parent)).json()
    assert [c["id"] for c in body["children"]] == [world.outsider_pupil.id]
    assert body["profile"] == "parent"
    assert client.get(f"{V1}/children", **bearer(world.teacher)).json() == []
    assert client.post(f"{V1}/me", **bearer(world.teacher)).status_code == 405


# Homework ---------------------------------------------------------------------------------


def test_week_for_the_pupil_and_for_each_parent(world, client, bearer):
    entry = _work_this_week(world)
    Done.objects.create(entry=entry, pupil=world.pupil)
    mine = client.get(f"{V1}/homework/week", **bearer(world.pupil)).json()
    assert [(e["id"], e["done"]) for e in mine["work"]] == [(entry.id, True)]
    url = f"{V1}/homework/week?child={world.pupil.id}&week={_monday().isoformat()}"
    assert client.get(url, **bearer(world.guardian2)).json()["work"][0]["id"] == entry.id
    # Another family's child, and a child of another school's family: 404.
    assert client.get(url, **bearer(world.outsider_parent)).status_code == 404
    assert client.get(url, **bearer(world.parent_b)).status_code == 404
    assert client.get(f"{V1}/homework/week", **bearer(world.teacher)).status_code == 404


def test_week_bad_date_is_a_problem(world, client, bearer):
    response = client.get(f"{V1}/homework/week?week=demain", **bearer(world.pupil))
    assert response.status_code == 422 and response.json()["errors"]


# Rows are added by the ORM (no bump): the read cache off, as for the pages' counts.
@pytest.mark.usefixtures("no_page_cache")
def test_week_query_count_does_not_grow(world, client, bearer, django_assert_max_num_queries):
    auth = bearer(world.pupil)
    _work_this_week(world)
    with django_assert_max_num_queries(8) as one:
        client.get(f"{V1}/homework/week", **auth)
    for i in range(30):
        _work_this_week(world, f"Ex {i}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get(f"{V1}/homework/week", **auth).json()["work"]) == 31


def test_tick_by_the_pupil_only(world, client, bearer):
    entry = _entry(world)
    url = f"{V1}/homework/{entry.id}/done"
    assert _post(client, url, {"done": True}, bearer(world.outsider_parent)).status_code == 403
    assert _post(client, url, {"done": True}, bearer(world.parent_b)).status_code == 404
    assert not Done.objects.exists()
    assert client.get(url, **bearer(world.pupil)).status_code == 405
    assert _post(client, url, {"done": "peut-être"}, bearer(world.pupil)).status_code == 422
    assert not Done.objects.exists()
    assert _post(client, url, {"done": True}, bearer(world.pupil)).json() == {"done": True}
    assert Done.objects.filter(entry=entry, pupil=world.pupil).exists()


# Absences ---------------------------------------------------------------------------------


def _reason(w, **extra):
    return Reason.objects.create(school=w.school, label="Rendez-vous", **extra)


def test_child_absences_for_the_family_not_another(world, client, bearer):
    url = f"{V1}/children/{world.pupil.id}/absences"
    body = client.get(url, **bearer(world.guardian)).json()
    assert body["pupil"]["id"] == world.pupil.id and body["can_declare"] is True
    for outsider in (world.outsider_parent, world.parent_b, world.staff_b, world.other_teacher):
        assert client.get(url, **bearer(outsider)).status_code == 404


def test_declare_a_notice(world, client, bearer):
    reason = _reason(world)
    day = timezone.localdate() + datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    form = {
        "start_date": day.isoformat(),
        "start_half_day": "am",
        "end_date": day.isoformat(),
        "end_half_day": "pm",
        "reason": reason.id,
        "comment": "Dentiste",
    }
    url = f"{V1}/children/{world.pupil.id}/notices"
    assert client.post(url, form, **bearer(world.outsider_parent)).status_code == 404
    assert client.post(url, form, **bearer(world.guardian_nojustify)).status_code == 404
    bad = client.post(url, {**form, "reason": ""}, HTTP_ACCEPT_LANGUAGE="fr", **bearer(world.guardian))
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"
    assert any(e["loc"] == ["form", "reason"] for e in bad.json()["errors"])
    assert not AbsenceNotice.objects.exists()
    response = client.post(url, form, **bearer(world.guardian))
    assert response.status_code == 201, response.content
    assert AbsenceNotice.objects.get().pupil_id == world.pupil.id


# Messages ---------------------------------------------------------------------------------


def test_conversations_messages_send_and_read(world, client, bearer):
    conversation = _rows(world)["conversation"]
    auth = bearer(world.guardian)
    listing = client.get(f"{V1}/conversations", **auth).json()
    assert [c["id"] for c in listing["items"]] == [conversation.id] and listing["items"][0]["unread"] == 2
    messages = client.get(f"{V1}/conversations/{conversation.id}/messages?limit=1", **auth).json()
    assert messages["count"] == 2 and len(messages["items"]) == 1
    sent = _post(client, f"{V1}/conversations/{conversation.id}/messages", {"body": "Merci"}, auth)
    assert sent.status_code == 201 and sent.json()["body"] == "Merci"
    read = client.post(f"{V1}/conversations/{conversation.id}/read", **auth)
    assert read.status_code == 200
    assert client.get(f"{V1}/conversations", **auth).json()["items"][0]["unread"] == 0


def test_other_families_and_schools_get_404_and_nothing_is_sent(world, client, bearer):
    conversation = _rows(world)["conversation"]
    before = Message.objects.count()
    for outsider in (world.outsider_parent, world.staff_b, world.pupil):
        auth = bearer(outsider)
        assert client.get(f"{V1}/conversations/{conversation.id}/messages", **auth).status_code == 404
        assert _post(client, f"{V1}/conversations/{conversation.id}/messages", {"body": "x"}, auth).status_code == 404
    assert (
        _post(
            client, f"{V1}/conversations/{conversation.id}/messages", {"body": "  "}, bearer(world.guardian)
        ).status_code
        == 400
    )
    assert (
        _post(client, f"{V1}/conversations/{conversation.id}/messages", {}, bearer(world.guardian)).status_code == 422
    )
    assert Message.objects.count() == before


def test_huge_page_size_is_refused(world, client, bearer):
    response = client.get(f"{V1}/conversations?limit=100000", **bearer(world.guardian))
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"


# Rows are added by the ORM (no bump): the read cache off, as for the pages' counts.
@pytest.mark.usefixtures("no_page_cache")
def test_conversation_list_query_count_does_not_grow(world, client, bearer, django_assert_max_num_queries):
    auth = bearer(world.guardian)
    messaging_actions.do_start_conversation(world.teacher, [world.guardian.pk], "Un", "Bonjour")
    with django_assert_max_num_queries(12) as one:
        client.get(f"{V1}/conversations", **auth)
    for i in range(20):
        messaging_actions.do_start_conversation(world.teacher, [world.guardian.pk], f"Sujet {i}", "Bonjour")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(f"{V1}/conversations?limit=100", **auth).json()["count"] == 21


# Announcements ----------------------------------------------------------------------------


def test_confirm_an_announcement(world, client, bearer):
    announcement = _rows(world)["announcement"]
    url = f"{V1}/announcements/{announcement.id}/confirm"
    assert client.post(url, **bearer(world.parent_b)).status_code == 404
    assert client.post(url, **bearer(world.direction)).status_code == 403
    assert client.get(url, **bearer(world.guardian)).status_code == 405
    listed = client.get(f"{V1}/announcements", **bearer(world.guardian)).json()
    assert [a["id"] for a in listed["items"]] == [announcement.id]
    assert client.post(url, **bearer(world.guardian)).json()["confirmed"] is True
    assert AnnouncementRecipient.objects.get(announcement=announcement, user=world.guardian).confirmed_at


# Notifications ----------------------------------------------------------------------------


def test_notifications_are_my_own(world, client, bearer, django_assert_max_num_queries):
    notify([world.guardian], "homework.published", child=world.pupil, context={"title": "Ex", "url": "/cahier/"})
    mine = Notification.objects.get(recipient=world.guardian)
    assert client.post(f"{V1}/notifications/{mine.id}/read", **bearer(world.outsider_parent)).status_code == 404
    auth = bearer(world.guardian)
    with django_assert_max_num_queries(8) as one:
        listed = client.get(f"{V1}/notifications", **auth).json()
    assert [n["id"] for n in listed["items"]] == [mine.id] and not listed["items"][0]["read"]
    for _ in range(30):
        notify([world.guardian], "homework.published", child=world.pupil, context={"title": "Ex", "url": "/cahier/"})
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(f"{V1}/notifications?limit=50", **auth).json()["count"] == 31
    assert client.post(f"{V1}/notifications/{mine.id}/read", **auth).json()["read"] is True
    assert client.post(f"{V1}/notifications/read", **auth).json() == {"count": 30}


# Resources --------------------------------------------------------------------------------


def test_resources_of_my_child_only(world, client, bearer):
    assert client.get(f"{V1}/resources?child={world.pupil.id}", **bearer(world.guardian)).status_code == 200
    assert client.get(f"{V1}/resources?child={world.pupil.id}", **bearer(world.outsider_parent)).status_code == 404
    assert client.get(f"{V1}/resources", **bearer(world.pupil)).json()["count"] == 0


def test_edge_inputs_are_problems_not_crashes(world, client, bearer):
    """Inputs a fuzzer sends: a week near year 9999 would overflow a date, a NUL cannot be stored in PostgreSQL."""
    assert client.get(f"{V1}/homework/week?week=9999-12-31", **bearer(world.pupil)).status_code == 422
    conversation = _rows(world)["conversation"]
    before = Message.objects.count()
    url = f"{V1}/conversations/{conversation.id}/messages"
    assert _post(client, url, {"body": "a\x00b"}, bearer(world.guardian)).status_code == 422
    assert Message.objects.count() == before
