"""The register (appel): lifecycle, who may take it, bad input, speed."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from absences.models import AbsenceEvent, Register
from tests.absences.conftest import MONDAY, add_pupils

pytestmark = pytest.mark.django_db


def _open_post(client, target, **extra):
    data = {"target": target, "date": "2026-10-05", "starts_at": "09:00", "ends_at": "09:55", **extra}
    return client.post(reverse("absences:register_open"), data)


def test_register_lifecycle(world, monday, login_as, client):
    login_as(world.teacher)
    response = _open_post(client, f"c{world.klass.id}")
    register = Register.objects.get()
    assert response.status_code == 302 and response.url == reverse("absences:register", args=[register.id])
    assert register.state == Register.State.TODO and register.half_day == "am"

    # Opening the same slot again gives the same register.
    assert _open_post(client, f"c{world.klass.id}").url == response.url
    assert Register.objects.count() == 1

    page = client.get(response.url)
    assert page.status_code == 200
    assert "Martin Léa" in page.content.decode() and "Bernard Noé" in page.content.decode()

    url = response.url
    p, x = world.pupil.id, world.outsider_pupil.id
    assert client.post(url, {f"s{p}": "absence", f"s{x}": "late", f"m{x}": "10", "save": "1"}).status_code == 302
    register.refresh_from_db()
    assert register.state == Register.State.IN_PROGRESS
    events = {e.pupil_id: e for e in AbsenceEvent.objects.all()}
    assert events[p].kind == "absence" and events[p].state == "unexplained" and events[p].register_id == register.id
    assert events[x].kind == "late" and events[x].minutes == 10

    # Finish: Léa turns out to be present; Noé is still late.
    client.post(url, {f"s{p}": "present", f"s{x}": "late", f"m{x}": "10", "finish": "1"})
    register.refresh_from_db()
    assert register.state == Register.State.DONE and register.done_at is not None
    assert list(AbsenceEvent.objects.values_list("pupil_id", flat=True)) == [x]

    # Still editable the same day, and stays done.
    client.post(url, {f"s{p}": "left_early", f"m{p}": "15", f"s{x}": "present", "save": "1"})
    register.refresh_from_db()
    assert register.state == Register.State.DONE
    assert list(AbsenceEvent.objects.values_list("pupil_id", "kind")) == [(p, "left_early")]


def test_everyone_present_by_default(world, monday, login_as, client, open_register):
    register = open_register()
    login_as(world.teacher)
    client.post(reverse("absences:register", args=[register.id]), {"finish": "1"})
    register.refresh_from_db()
    assert register.state == Register.State.DONE
    assert not AbsenceEvent.objects.exists()


def test_teacher_read_only_the_next_day_vie_scolaire_any_time(world, monday, login_as, client, open_register):
    register = open_register()
    url = reverse("absences:register", args=[register.id])
    with time_machine.travel(MONDAY + dt.timedelta(days=1), tick=False):
        login_as(world.teacher)
        page = client.get(url)
        assert page.status_code == 200 and 'id="read-only"' in page.content.decode()
        assert client.post(url, {f"s{world.pupil.id}": "absence"}).status_code == 403
        assert not AbsenceEvent.objects.exists()
        client.logout()
        login_as(world.vie_scolaire)
        assert client.post(url, {f"s{world.pupil.id}": "absence", "finish": "1"}).status_code == 302
        assert AbsenceEvent.objects.get().pupil == world.pupil


def test_teacher_cannot_open_a_register_for_a_class_they_do_not_teach(world, monday, login_as, client):
    login_as(world.teacher)
    response = _open_post(client, f"c{world.other_class.id}")
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode() or "valid choice" in response.content.decode()
    assert not Register.objects.exists()
    # Another school's class neither.
    assert _open_post(client, f"c{world.class_b.id}").status_code == 200
    assert not Register.objects.exists()


def test_teacher_cannot_open_another_days_register(world, monday, login_as, client):
    login_as(world.teacher)
    response = _open_post(client, f"c{world.klass.id}", date="2026-10-06")
    assert response.status_code == 200
    assert not Register.objects.exists()


def test_bad_times_are_refused(world, monday, login_as, client):
    login_as(world.teacher)
    assert _open_post(client, f"c{world.klass.id}", starts_at="10:00", ends_at="09:00").status_code == 200
    assert _open_post(client, f"c{world.klass.id}", starts_at="", ends_at="").status_code == 200
    assert not Register.objects.exists()


def test_late_needs_minutes_and_nothing_is_half_saved(world, monday, login_as, client, open_register):
    register = open_register()
    login_as(world.teacher)
    url = reverse("absences:register", args=[register.id])
    response = client.post(url, {f"s{world.pupil.id}": "absence", f"s{world.outsider_pupil.id}": "late"})
    assert response.status_code == 200
    assert not AbsenceEvent.objects.exists()
    register.refresh_from_db()
    assert register.state == Register.State.TODO
    # An unknown status is refused too.
    assert client.post(url, {f"s{world.pupil.id}": "gone"}).status_code == 200
    assert not AbsenceEvent.objects.exists()


def test_group_register_lists_the_group(world, monday, login_as, client):
    login_as(world.teacher)
    response = _open_post(client, f"g{world.group.id}")
    register = Register.objects.get()
    assert register.group == world.group
    page = client.get(response.url).content.decode()
    assert "Martin Léa" in page and "Bernard Noé" not in page
    client.post(response.url, {f"s{world.pupil.id}": "absence", "finish": "1"})
    event = AbsenceEvent.objects.get()
    assert event.school_class == world.klass  # the pupil's class, for class statistics


def test_primary_register_is_per_half_day(world, monday, login_as, client):
    login_as(world.teacher_b)
    response = client.post(
        reverse("absences:register_open"), {"target": f"c{world.class_b.id}", "date": "2026-10-05", "half_day": "pm"}
    )
    register = Register.objects.get()
    assert response.status_code == 302
    assert register.half_day == "pm" and register.starts_at == dt.time(13, 30)
    client.post(response.url, {f"s{world.pupil_b.id}": "absence", "finish": "1"})
    assert AbsenceEvent.objects.get().half_day == "pm"


def test_wrong_methods(world, monday, login_as, client):
    login_as(world.teacher)
    assert client.get(reverse("absences:register_open")).status_code == 405
    register = Register.objects.create(
        school=world.school,
        school_class=world.klass,
        date=dt.date(2026, 10, 5),
        half_day="am",
        starts_at=dt.time(9),
        ends_at=dt.time(10),
    )
    assert client.put(reverse("absences:register", args=[register.id])).status_code == 405


def _register_page_queries(world, n, client, login_as, open_register):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_class, teach

    klass = make_class(world.school)
    teach(world.teacher, klass=klass)
    add_pupils(klass, n)
    register = open_register(target=klass)
    client.logout()
    login_as(world.teacher)
    url = reverse("absences:register", args=[register.id])
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('class="pupil-row') == n
    return len(ctx.captured_queries)


@pytest.mark.usefixtures("no_page_cache")
def test_register_page_query_count_is_pinned_and_flat(world, monday, client, login_as, open_register):
    small = _register_page_queries(world, 10, client, login_as, open_register)
    big = _register_page_queries(world, 35, client, login_as, open_register)
    assert small == big
    assert big <= 10, big


def _register_save_queries(world, n, client, login_as, open_register):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_class, teach

    klass = make_class(world.school)
    teach(world.teacher, klass=klass)
    pupils = add_pupils(klass, n)
    register = open_register(target=klass)
    client.logout()
    login_as(world.teacher)
    url = reverse("absences:register", args=[register.id])
    client.get(url)  # warm the session
    # Late marks: no guardian is told (absences are, one notification per pupil).
    data = {"save": "1"} | {f"s{p.id}": "late" for p in pupils} | {f"m{p.id}": "5" for p in pupils}
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(url, data)
    assert response.status_code == 302
    assert AbsenceEvent.objects.filter(register=register, kind="late").count() == n
    return len(ctx.captured_queries)


@pytest.mark.usefixtures("no_page_cache")
def test_register_save_query_count_is_pinned_and_flat(world, monday, client, login_as, open_register):
    """The save reads the register once, locked, inside the action: a register
    of 35 costs what one of 10 does."""
    small = _register_save_queries(world, 10, client, login_as, open_register)
    big = _register_save_queries(world, 35, client, login_as, open_register)
    assert small == big
    assert big <= 7, big


def _bulk_pupils(klass, n, tag):
    from ent.directory.models import Enrollment, User

    kids = User.objects.bulk_create(
        [User(username=f"bulk_{tag}_{i}", first_name=f"P{i:03d}", last_name=f"Bulk{i:03d}") for i in range(n)]
    )
    Enrollment.objects.bulk_create([Enrollment(pupil=k, school_class=klass) for k in kids])
    from ent import pagecache

    pagecache.bump(pagecache.DIRECTORY)  # as the directory's actions do (a bulk insert sends no signal)


@pytest.mark.usefixtures("no_page_cache")
def test_the_register_opened_from_the_timetable_costs_the_same_for_1_and_500_pupils(world, monday, client, login_as):
    """Issue #21: the register the teacher's home opens ("Faire l'appel"), its
    query count pinned with 1 pupil and with 500 (the bench's
    register_from_timetable page)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_class, teach
    from tests.timetable.conftest import make_slot

    klass = make_class(world.school)
    teach(world.teacher, klass=klass)
    _bulk_pupils(klass, 1, "one")
    slot = make_slot(world.school, klass=klass, start=(10, 0), end=(10, 55), teachers=[world.teacher])
    login_as(world.teacher)
    response = client.post(reverse("absences:register_open"), {"lesson": f"s{slot.id}-20261005"})
    assert Register.objects.get(slot=slot).school_class == klass
    url = response.url

    def count(pupils):
        client.get(url)  # warm the session
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(url)
        assert page.status_code == 200
        assert page.content.decode().count('class="pupil-row') == pupils
        return len(ctx.captured_queries)

    one = count(1)
    _bulk_pupils(klass, 499, "many")
    assert count(500) == one
    assert one <= 10, one
