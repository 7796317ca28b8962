"""Teachers post, edit, copy, repeat and delete entries; the direction reads and
puts a visa; published edits are kept in the history."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from homework.models import Entry, Revision, Visa
from tests.homework.conftest import form_data, make_entry

pytestmark = pytest.mark.django_db


def create_url(target):
    prefix = "g" if target.__class__.__name__ == "Group" else "c"
    return reverse("homework:entry_create", args=[f"{prefix}{target.id}"])


def test_teacher_posts_work_for_a_taught_class(world, client, login_as):
    login_as(world.teacher)
    assert client.get(create_url(world.klass)).status_code == 200
    response = client.post(create_url(world.klass), form_data(subject=world.subject.id))
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert (entry.school_class, entry.author, entry.subject, entry.minutes) == (
        world.klass,
        world.teacher,
        world.subject,
        30,
    )
    assert entry.instructions == "<p>Lire <strong>attentivement</strong>.</p>"
    detail = client.get(reverse("homework:diary", args=[f"c{world.klass.id}"]))
    assert "Lire le chapitre 3" in detail.content.decode()


def test_teacher_posts_lesson_content_for_a_group(world, client, login_as):
    login_as(world.teacher)
    data = form_data(kind="lesson", title="Déclinaisons", due_on="", work_type="", minutes="")
    assert client.post(create_url(world.group), data).status_code == 302
    entry = Entry.objects.get()
    assert entry.group == world.group and entry.kind == "lesson" and entry.due_on is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "Ce champ est obligatoire"),
        ({"due_on": "2020-01-01"}, "La date à rendre ne peut pas être avant"),
        ({"due_on": ""}, "Le travail à faire doit avoir une date"),
        ({"minutes": "9999"}, "inférieure ou égale à 600"),
        ({"given_on": "31/02/2026"}, "Saisissez une date valide"),
        ({"recurrence": "weekly", "repeat_until": ""}, "Choisissez jusqu"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(world, client, login_as, overrides, message):
    login_as(world.teacher)
    response = client.post(create_url(world.klass), form_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Entry.objects.exists()


def test_unknown_or_untaught_class_is_404(world, client, login_as):
    login_as(world.teacher)
    assert client.post(reverse("homework:entry_create", args=["c999999"]), form_data()).status_code == 404
    assert client.post(reverse("homework:entry_create", args=["x12"]), form_data()).status_code == 404
    assert client.post(create_url(world.other_class), form_data()).status_code == 404
    assert client.post(create_url(world.class_b), form_data()).status_code == 404
    assert not Entry.objects.exists()


def test_direction_reads_but_cannot_post(world, client, login_as):
    login_as(world.direction)
    assert client.get(reverse("homework:diary", args=[f"c{world.klass.id}"])).status_code == 200
    assert client.post(create_url(world.klass), form_data()).status_code == 403
    assert not Entry.objects.exists()


HOSTILE = (
    '<p onclick="x()">Bonjour<script>alert(1)</script></p><img src=x onerror=alert(1)>'
    '<a href="javascript:alert(1)">a</a><a href="https://exemple.fr/cours">cours</a><iframe src="https://e.vil"></iframe>'
)


def test_hostile_html_is_neutralised_at_write_time(world, client, login_as):
    login_as(world.teacher)
    client.post(create_url(world.klass), form_data(instructions=HOSTILE))
    stored = Entry.objects.get().instructions
    for bad in ("<script", "onclick", "onerror", "javascript:", "<iframe", "<img"):
        assert bad not in stored
    assert 'href="https://exemple.fr/cours"' in stored
    assert 'rel="noopener noreferrer nofollow"' in stored
    client.logout()
    login_as(world.pupil)
    page = client.get(reverse("homework:week")).content.decode()
    assert "<script>alert" not in page and "onerror" not in page


def test_title_is_escaped_not_rendered(world, client, login_as):
    make_entry(world, title="<b>gras</b><script>x()</script>")
    login_as(world.pupil)
    page = client.get(reverse("homework:week")).content.decode()
    assert "&lt;script&gt;x()&lt;/script&gt;" in page and "<script>x()" not in page


def test_weekly_recurring_entries(world, client, login_as):
    login_as(world.teacher)
    start = datetime.date(2026, 12, 7)
    data = form_data(
        given_on=start.isoformat(),
        due_on=(start + datetime.timedelta(days=1)).isoformat(),
        recurrence="weekly",
        repeat_until=(start + datetime.timedelta(days=28)).isoformat(),
    )
    assert client.post(create_url(world.klass), data).status_code == 302
    entries = list(Entry.objects.order_by("given_on"))
    assert [e.given_on for e in entries] == [start + datetime.timedelta(days=7 * i) for i in range(5)]
    assert all(e.due_on - e.given_on == datetime.timedelta(days=1) for e in entries)
    assert len({e.series for e in entries}) == 1 and entries[0].series is not None
    # Later occurrences appear on their own day, not all at once.
    assert entries[0].publish_at is None
    assert [timezone.localtime(e.publish_at).date() for e in entries[1:]] == [e.given_on for e in entries[1:]]


def test_fortnightly_and_too_many_occurrences(world, client, login_as):
    login_as(world.teacher)
    start = datetime.date(2026, 12, 7)
    data = form_data(
        given_on=start.isoformat(),
        due_on=start.isoformat(),
        recurrence="fortnightly",
        repeat_until=(start + datetime.timedelta(days=30)).isoformat(),
    )
    client.post(create_url(world.klass), data)
    assert [e.given_on.day for e in Entry.objects.order_by("given_on")] == [7, 21, 4]
    Entry.objects.all().delete()
    data.update(recurrence="weekly", repeat_until=(start + datetime.timedelta(days=400)).isoformat())
    response = client.post(create_url(world.klass), data)
    assert "au plus 40 fois" in response.content.decode()
    assert not Entry.objects.exists()


def test_edits_after_publication_are_kept_and_shown_to_teacher_and_direction(world, client, login_as, entry):
    login_as(world.teacher)
    url = reverse("homework:entry_edit", args=[entry.id])
    assert client.get(url).status_code == 200
    data = form_data(
        title="Exercices 1 à 6 p. 12",
        given_on=entry.given_on.isoformat(),
        due_on=entry.due_on.isoformat(),
        minutes="20",
        work_type="exercises",
        subject=world.subject.id,
        instructions="",
    )
    assert client.post(url, data).status_code == 302
    revision = Revision.objects.get(entry=entry)
    assert revision.author == world.teacher
    assert {"field": "title", "before": "Exercices 1 à 4 p. 12", "after": "Exercices 1 à 6 p. 12"} in revision.changes
    assert [c["field"] for c in revision.changes] == ["title"]
    detail = reverse("homework:entry_detail", args=[entry.id])
    assert "Exercices 1 à 4 p. 12" in client.get(detail).content.decode()
    client.logout()
    login_as(world.direction)
    page = client.get(detail).content.decode()
    assert "Modifications après publication" in page and "Exercices 1 à 4 p. 12" in page
    client.logout()
    login_as(world.guardian)
    page = client.get(detail).content.decode()
    assert "Modifications après publication" not in page and "Exercices 1 à 4 p. 12" not in page


def test_edits_before_publication_leave_no_history(world, client, login_as):
    entry = make_entry(world, publish_at=timezone.now() + datetime.timedelta(days=2))
    login_as(world.teacher)
    data = form_data(given_on=entry.given_on.isoformat(), due_on=entry.due_on.isoformat(), title="Nouveau titre")
    data["publish_at"] = timezone.localtime(entry.publish_at).strftime("%Y-%m-%dT%H:%M")
    assert client.post(reverse("homework:entry_edit", args=[entry.id]), data).status_code == 302
    entry.refresh_from_db()
    assert entry.title == "Nouveau titre" and not Revision.objects.exists()


def test_bad_edit_changes_nothing(world, client, login_as, entry):
    login_as(world.teacher)
    response = client.post(reverse("homework:entry_edit", args=[entry.id]), form_data(due_on="2001-01-01"))
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.title == "Exercices 1 à 4 p. 12" and not Revision.objects.exists()


def test_only_the_author_edits(world, client, login_as, entry):
    for persona, status in ((world.direction, 403), (world.guardian, 403), (world.other_teacher, 404)):
        client.logout()
        login_as(persona)
        assert client.post(reverse("homework:entry_edit", args=[entry.id]), form_data()).status_code == status
    entry.refresh_from_db()
    assert entry.title == "Exercices 1 à 4 p. 12"


def test_copy_to_another_taught_target(world, client, login_as, entry):
    login_as(world.teacher)
    url = reverse("homework:entry_copy", args=[entry.id])
    page = client.get(url).content.decode()
    assert f"g{world.group.id}" in page and f"c{world.other_class.id}" not in page
    response = client.post(url, {"target": f"g{world.group.id}"})
    assert response.status_code == 302
    copy = Entry.objects.exclude(id=entry.id).get()
    assert copy.group == world.group and copy.title == entry.title and copy.author == world.teacher
    # Not a class they teach: refused, nothing copied.
    assert client.post(url, {"target": f"c{world.other_class.id}"}).status_code == 200
    assert Entry.objects.count() == 2


def test_delete(world, client, login_as, entry):
    login_as(world.direction)
    assert client.post(reverse("homework:entry_delete", args=[entry.id])).status_code == 403
    client.logout()
    login_as(world.teacher)
    assert client.get(reverse("homework:entry_delete", args=[entry.id])).status_code == 405
    assert client.post(reverse("homework:entry_delete", args=[entry.id])).status_code == 302
    assert not Entry.objects.exists()


def test_teacher_sees_how_many_pupils_ticked(world, client, login_as, entry):
    from homework.models import Done

    Done.objects.create(entry=entry, pupil=world.pupil)
    login_as(world.teacher)
    diary = client.get(reverse("homework:diary", args=[f"c{world.klass.id}"]))
    assert "1 sur 2" in diary.content.decode()  # pupil and outsider_pupil are in the class
    detail = client.get(reverse("homework:entry_detail", args=[entry.id])).content.decode()
    assert "1 élève sur 2" in detail


def test_scheduled_entry_is_the_authors_until_published(world, client, login_as):
    entry = make_entry(world, publish_at=timezone.now() + datetime.timedelta(hours=3))
    detail = reverse("homework:entry_detail", args=[entry.id])
    for persona, status in ((world.teacher, 200), (world.pupil, 404), (world.guardian, 404), (world.direction, 200)):
        client.logout()
        login_as(persona)
        assert client.get(detail).status_code == status


def test_direction_puts_a_dated_visa(world, client, login_as):
    url = reverse("homework:visa", args=[f"c{world.klass.id}"])
    login_as(world.teacher)
    assert client.post(url, {"comment": "Vu"}).status_code == 403
    client.logout()
    login_as(world.direction)
    assert client.post(url, {"comment": "x" * 600}).status_code == 302
    assert not Visa.objects.exists()
    assert client.post(url, {"comment": "Cahier bien tenu"}).status_code == 302
    visa = Visa.objects.get()
    assert visa.signed_by == world.direction and visa.school_class == world.klass
    page = client.get(reverse("homework:diary", args=[f"c{world.klass.id}"])).content.decode()
    assert "Cahier bien tenu" in page and "Visé le" in page
    client.logout()
    login_as(world.staff_b)
    assert client.post(url, {"comment": "x"}).status_code == 404


def test_diary_query_count_does_not_grow(world, client, login_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login_as(world.teacher)
    url = reverse("homework:diary", args=[f"c{world.klass.id}"])
    for i in range(5):
        make_entry(world, title=f"E{i}")
    client.get(url)  # warm the person's caches (row, roles, badge), as for any second page
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for i in range(100):
        make_entry(world, title=f"F{i}")
    with CaptureQueriesContext(connection) as large:
        assert len(client.get(url).context["entries"]) == 105
    assert len(small.captured_queries) == len(large.captured_queries)
    print(f"diary view: {len(small.captured_queries)} queries for 5 and for 105 entries")


def test_diaries_list(world, client, login_as):
    login_as(world.direction)
    page = client.get(reverse("homework:diaries")).content.decode()
    assert "6e A" in page and "6e B" in page and "Latin" in page
    client.logout()
    login_as(world.teacher)
    page = client.get(reverse("homework:diaries")).content.decode()
    assert "6e A" in page and "6e B" not in page
    client.logout()
    login_as(world.pupil)
    assert client.get(reverse("homework:diaries")).status_code == 404
