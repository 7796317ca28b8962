"""The absence alert and the absence records name the lessons missed, from the
timetable ("Mathématiques de 8 h 00 à 8 h 55"); nothing when the school has no
timetable. An absence declared in advance pre-marks the pupil absent on a
register not yet taken."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from absences import actions
from absences.models import AbsenceEvent, HalfDay, Register
from ent.notify.models import Notification
from ent.notify.rendering import render
from tests.absences.conftest import declare
from tests.factories import make_subject
from tests.timetable.conftest import make_slot

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 10, 5)


@pytest.fixture
def timetable(world):
    """world.klass's Monday morning: Maths 8:00, French 9:00, History 10:00."""
    french = make_subject(world.school, "FRA", "Français")
    history = make_subject(world.school, "HG", "Histoire-géographie")
    make_slot(world.school, klass=world.klass, subject=world.subject, teachers=[world.teacher], start=(8, 0))
    make_slot(world.school, klass=world.klass, subject=french, teachers=[world.teacher], start=(9, 0), end=(9, 55))
    make_slot(world.school, klass=world.klass, subject=history, start=(10, 0), end=(10, 55))
    # Another class's lesson at the same hour is never listed.
    make_slot(world.school, klass=world.other_class, subject=french, start=(8, 0))


def _record_morning(world, day=MONDAY, pupil=None):
    return actions.do_record_absences(
        world.vie_scolaire,
        world.school,
        pupils=[pupil or world.pupil],
        start_date=day,
        start_half=HalfDay.MORNING,
        end_date=day,
        end_half=HalfDay.MORNING,
        kind=AbsenceEvent.Kind.ABSENCE,
    )


def _as_parent(client, login_as, world):
    login_as(world.guardian)
    session = client.session
    session["child_id"] = world.pupil.id
    session.save()


# --- The alert ---------------------------------------------------------------------------------


def test_the_alert_names_the_lesson_missed_in_words_parents_read(world, monday, timetable, open_register):
    register = open_register(9)
    actions.do_save_register(world.teacher, register, {world.pupil.id: ("absence", None)}, finish=True)
    alert = Notification.objects.get(kind="absence.unexplained", recipient=world.guardian)
    (lesson,) = alert.context["lessons"]
    assert lesson["subject"] == "Français"
    with translation.override("fr"):
        text = render(alert, language="fr").text
    assert "Cours manqués : Français de 9 h 00 à 9 h 55" in text, text
    assert "Mathématiques" not in text
    with translation.override("en"):
        assert "Lessons missed: Français from 9:00 to 9:55" in render(alert, language="en").text


def test_without_a_timetable_the_alert_says_nothing_of_lessons(world, monday, open_register):
    register = open_register(9)
    actions.do_save_register(world.teacher, register, {world.pupil.id: ("absence", None)}, finish=True)
    alert = Notification.objects.get(kind="absence.unexplained", recipient=world.guardian)
    assert alert.context["lessons"] == []
    assert "Cours manqués" not in render(alert, language="fr").text


def test_a_register_of_many_absences_reads_the_timetable_once(world, monday, timetable, open_register, monkeypatch):
    from absences import missed
    from tests.absences.conftest import add_pupils

    calls = []
    real = missed.lessons
    monkeypatch.setattr(missed, "lessons", lambda *a, **k: calls.append(k) or real(*a, **k))
    pupils = [world.pupil, *add_pupils(world.klass, 12)]
    register = open_register(8)
    actions.do_save_register(world.teacher, register, {p.id: ("absence", None) for p in pupils}, finish=True)
    assert len(calls) == 1 and calls[0] == {"school_class": world.klass}
    told = Notification.objects.filter(kind="absence.unexplained", recipient=world.guardian).get()
    assert [x["subject"] for x in told.context["lessons"]] == ["Mathématiques"]


# --- The records --------------------------------------------------------------------------------


def test_the_pupil_file_family_page_and_event_page_list_the_lessons(world, timetable, client, login_as):
    (event,) = _record_morning(world)
    login_as(world.vie_scolaire)
    page = client.get(reverse("absences:pupil_file", args=[world.pupil.id])).content.decode()
    assert "Mathématiques" in page and "Français" in page and "Histoire-géographie" in page
    detail = client.get(reverse("absences:event_detail", args=[event.id])).content.decode()
    assert "Cours manqués" in detail and "Français de 9 h 00 à 9 h 55" in detail
    client.logout()
    _as_parent(client, login_as, world)
    home = client.get(reverse("absences:home")).content.decode()
    assert "Français" in home and "Histoire-géographie" in home
    assert "Cours manqués" in client.get(reverse("absences:event_detail", args=[event.id])).content.decode()


def test_another_family_or_school_gets_404_and_sees_no_lesson(world, timetable, client, login_as):
    (event,) = _record_morning(world)
    for outsider in (world.outsider_parent, world.parent_b, world.teacher_b):
        client.logout()
        login_as(outsider)
        assert client.get(reverse("absences:event_detail", args=[event.id])).status_code == 404
        assert client.get(reverse("absences:pupil_file", args=[world.pupil.id])).status_code == 404


def test_no_timetable_no_lessons_and_cancelled_lessons_are_not_missed(world, client, login_as):
    (event,) = _record_morning(world)
    login_as(world.vie_scolaire)
    assert "Cours manqués" not in client.get(reverse("absences:event_detail", args=[event.id])).content.decode()
    from ent.timetable.models import Change

    slot = make_slot(world.school, klass=world.klass, subject=world.subject, start=(8, 0))
    Change.objects.create(school=world.school, kind=Change.Kind.CANCELLED, slot=slot, date=MONDAY)
    assert "Cours manqués" not in client.get(reverse("absences:event_detail", args=[event.id])).content.decode()


def test_the_pupil_files_query_count_does_not_grow_with_absences(world, timetable, client, login_as):
    login_as(world.vie_scolaire)
    url = reverse("absences:pupil_file", args=[world.pupil.id])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    _record_morning(world)
    client.get(url)  # warm the session
    one = count()
    # The rest of the week and the next Monday (before the autumn holidays).
    for days in (1, 2, 3, 4, 7):
        _record_morning(world, MONDAY + dt.timedelta(days=days))
    assert count() == one


# --- Pre-marking ---------------------------------------------------------------------------------


def _rows(client, register):
    response = client.get(reverse("absences:register", args=[register.id]))
    assert response.status_code == 200
    return {row["pupil"].id: row for row in response.context["rows"]}


@pytest.mark.usefixtures("no_page_cache")
def test_an_announced_absence_pre_marks_the_pupil_until_the_register_is_saved(
    world, reasons, monday, client, login_as, open_register
):
    declare(world, reasons["illness"], MONDAY, MONDAY)
    register = open_register(9)
    login_as(world.teacher)
    rows = _rows(client, register)
    assert rows[world.pupil.id]["current"] == "absence" and rows[world.pupil.id]["announced"]
    assert rows[world.outsider_pupil.id]["current"] == "present"
    assert "absence signalée" in client.get(reverse("absences:register", args=[register.id])).content.decode()
    # Saved as shown: the absence is recorded and covered by the pending notice (no alert).
    data = {"finish": "1", f"s{world.pupil.id}": "absence"}
    assert client.post(reverse("absences:register", args=[register.id]), data).status_code == 302
    assert AbsenceEvent.objects.get(register=register).pupil == world.pupil
    assert not Notification.objects.filter(kind="absence.unexplained").exists()
    # The teacher saw the pupil after all: once saved, their mark stands.
    client.post(reverse("absences:register", args=[register.id]), {"finish": "1"})
    assert not AbsenceEvent.objects.filter(register=register).exists()
    assert _rows(client, register)[world.pupil.id]["current"] == "present"


@pytest.mark.usefixtures("no_page_cache")
def test_a_register_opened_from_the_timetable_is_pre_marked_too(world, reasons, monday, timetable, client, login_as):
    from ent.timetable.lessons import lessons

    declare(world, reasons["illness"], MONDAY, MONDAY)
    (lesson,) = [x for x in lessons(MONDAY, MONDAY, school_class=world.klass) if x.starts_at == dt.time(9, 0)]
    register = actions.registers.do_open_lesson_register(world.teacher, lesson)
    assert register.slot_id == lesson.slot_id and register.state == Register.State.TODO
    login_as(world.teacher)
    assert _rows(client, register)[world.pupil.id]["current"] == "absence"


@pytest.mark.usefixtures("no_page_cache")
def test_a_rejected_notice_or_another_day_does_not_pre_mark(world, reasons, monday, client, login_as, open_register):
    notice = declare(world, reasons["illness"], MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=1))
    register = open_register(9)
    login_as(world.teacher)
    assert _rows(client, register)[world.pupil.id]["current"] == "present"
    notice.delete()
    rejected = declare(world, reasons["illness"], MONDAY, MONDAY)
    actions.do_reject_notice(world.vie_scolaire, rejected, reason_text="Non")
    assert _rows(client, register)[world.pupil.id]["current"] == "present"
