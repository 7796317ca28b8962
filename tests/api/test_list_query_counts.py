"""Every list endpoint of the API costs the same number of queries for one row
and for 500 (issue #23: "query counts pinned for each list endpoint with 1 and
500 rows"): a list that read a row's relations one by one would grow."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from absences.models import AbsenceEvent
from ent import pagecache
from ent.directory.models import Enrollment, Guardianship, User
from ent.notify.models import Notification
from homework.models import Entry
from media.models import Assignment, Item
from messaging.models import Announcement, AnnouncementRecipient, Conversation, Message, Participant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_page_cache")]
V1 = "/api/v1"


def _children(w, n, start):
    kids = User.objects.bulk_create([User(username=f"kid{start}_{i}", first_name=f"E{i}") for i in range(n)])
    Enrollment.objects.bulk_create([Enrollment(pupil=k, school_class=w.klass) for k in kids])
    Guardianship.objects.bulk_create([Guardianship(guardian=w.guardian, pupil=k) for k in kids])
    pagecache.bump(pagecache.DIRECTORY)  # what the directory's actions do (a bulk insert sends no signal)


def _work(w, n, start):
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    Entry.objects.bulk_create(
        Entry(
            school=w.school,
            school_class=w.klass,
            subject=w.subject,
            author=w.teacher,
            kind=Entry.Kind.WORK,
            title=f"Ex {start + i}",
            given_on=monday,
            due_on=monday + datetime.timedelta(days=2),
        )
        for i in range(n)
    )


def _absences(w, n, start):
    day = w.klass.year.starts_on
    AbsenceEvent.objects.bulk_create(
        AbsenceEvent(
            pupil=w.pupil,
            school=w.school,
            school_class=w.klass,
            kind=AbsenceEvent.Kind.ABSENCE,
            date=day,
            half_day="am",
            starts_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(8))),
            ends_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(9))),
            recorded_by=w.teacher,
        )
        for _ in range(n)
    )


def _conversations(w, n, start):
    convs = Conversation.objects.bulk_create(
        Conversation(school=w.school, subject=f"Sujet {start + i}", created_by=w.teacher) for i in range(n)
    )
    msgs = Message.objects.bulk_create(
        Message(conversation=c, author=w.teacher, body="Bonjour", html="Bonjour") for c in convs
    )
    Participant.objects.bulk_create(
        [Participant(conversation=c, user=u) for c in convs for u in (w.guardian, w.teacher)]
    )
    for c, m in zip(convs, msgs, strict=True):
        c.last_message, c.last_message_at = m, m.created_at
    Conversation.objects.bulk_update(convs, ["last_message", "last_message_at"])


def _messages(w, n, start):
    conv = Conversation.objects.filter(subject="Le fil").first()
    if conv is None:
        conv = Conversation.objects.create(school=w.school, subject="Le fil", created_by=w.teacher)
        Participant.objects.bulk_create([Participant(conversation=conv, user=u) for u in (w.guardian, w.teacher)])
    authors = (w.guardian, w.teacher)
    Message.objects.bulk_create(
        Message(conversation=conv, author=authors[i % 2], body=f"M{start + i}", html=f"M{start + i}") for i in range(n)
    )
    return f"{V1}/conversations/{conv.id}/messages?limit=100"


def _announcements(w, n, start):
    items = Announcement.objects.bulk_create(
        Announcement(
            school=w.school,
            author=w.direction,
            title=f"A{start + i}",
            body="Texte",
            html="Texte",
            audience="class",
            school_class=w.klass,
        )
        for i in range(n)
    )
    AnnouncementRecipient.objects.bulk_create(AnnouncementRecipient(announcement=a, user=w.guardian) for a in items)


def _notifications(w, n, start):
    Notification.objects.bulk_create(
        Notification(
            recipient=w.guardian, kind="homework.published", child=w.pupil, url="/cahier/", context={"title": "Ex"}
        )
        for _ in range(n)
    )


def _resources(w, n, start):
    items = Item.objects.bulk_create(
        Item(
            school=w.school,
            kind=Item.Kind.LINK,
            title=f"Lien {start + i}",
            status=Item.Status.APPROVED,
            created_by=w.teacher,
        )
        for i in range(n)
    )
    Assignment.objects.bulk_create(Assignment(item=i, school_class=w.klass, assigned_by=w.teacher) for i in items)


# (endpoint, who calls it, what adds n rows it lists; the grower may return the URL)
LISTS = {
    "children": ("guardian", _children, f"{V1}/children"),
    "homework_week": ("pupil", _work, f"{V1}/homework/week"),
    "child_absences": ("guardian", _absences, None),
    "conversations": ("guardian", _conversations, f"{V1}/conversations?limit=100"),
    "messages": ("guardian", _messages, None),
    "announcements": ("guardian", _announcements, f"{V1}/announcements?limit=100"),
    "notifications": ("guardian", _notifications, f"{V1}/notifications?limit=100"),
    "resources": ("pupil", _resources, f"{V1}/resources?limit=100"),
}


def _count(client, url, auth):
    # Warm what a session keeps (roles, translations), and the token's cached
    # row: noting its first use makes the next request read it once more.
    client.get(url, **auth)
    client.get(url, **auth)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **auth)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return len(captured), response.json()


def _listed(body):
    if isinstance(body, list):
        return len(body)
    for key in ("items", "work", "absences"):
        if key in body:
            return body.get("count", len(body[key]))
    raise AssertionError(sorted(body))


@pytest.mark.parametrize("name", sorted(LISTS))
def test_a_list_costs_the_same_for_one_row_and_500(name, world, client, bearer):
    role, grow, url = LISTS[name]
    auth = bearer(getattr(world, role))
    url = grow(world, 1, 0) or url or f"{V1}/children/{world.pupil.id}/absences"
    one, body_one = _count(client, url, auth)
    before = _listed(body_one)
    grow(world, 499, 1)
    many, body_many = _count(client, url, auth)
    # The list did grow (min: the absences list stops at 200, a page at 100).
    assert _listed(body_many) >= min(before + 499, 100), (name, before, _listed(body_many))
    assert many == one, f"{name}: {one} queries with 1 row, {many} with 500"
