"""The other pages: home per role, day dashboard, vie scolaire entries, event
changes, class statistics, CSV export, reasons."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from absences import actions
from absences.models import AbsenceEvent, Reason
from tests.absences.conftest import add_pupils, declare
from tests.factories import make_class, make_school, make_staff, teach

pytestmark = pytest.mark.django_db


def test_home_for_each_role(world, monday, login_as, client, open_register):
    url = reverse("absences:home")
    login_as(world.teacher)
    open_register()
    page = client.get(url).content.decode()
    assert "6e A" in page and 'action="/absences/appel/ouvrir/"' in page
    client.logout()
    login_as(world.guardian)
    client.post(reverse("select_child"), {"child": world.pupil.id})
    page = client.get(url).content.decode()
    assert reverse("absences:declare", args=[world.pupil.id]) in page
    client.logout()
    login_as(world.guardian_nojustify)
    page = client.get(url).content.decode()
    assert "/declarer/" not in page and "Léa" in page
    client.logout()
    login_as(world.pupil)
    assert client.get(url).status_code == 200
    client.logout()
    login_as(world.vie_scolaire)
    assert client.get(url).url == reverse("absences:dashboard", args=[world.school.id])
    client.logout()
    login_as(world.referent)
    assert 'id="nothing"' in client.get(url).content.decode()


def test_dashboard_shows_the_day(world, reasons, monday, login_as, client, open_register):
    taken = open_register(8)
    actions.do_save_register(world.teacher, taken, {world.pupil.id: ("absence", None)}, finish=True)
    open_register(10)  # opened, not taken
    notice = declare(world, reasons["family"], dt.date(2026, 10, 7), dt.date(2026, 10, 7))
    login_as(world.vie_scolaire)
    page = client.get(reverse("absences:dashboard", args=[world.school.id])).content.decode()
    assert reverse("absences:notice_detail", args=[notice.id]) in page
    assert "Martin Léa" in page or "Martin</a>" in page or "Martin Léa</a>" in page
    event = AbsenceEvent.objects.get()
    assert reverse("absences:event_detail", args=[event.id]) in page
    assert "1 appel non fait" in page or "1 register not taken" in page
    # Another day, by the date field.
    other = client.get(reverse("absences:dashboard", args=[world.school.id]), {"date": "2026-10-06"}).content.decode()
    assert reverse("absences:event_detail", args=[event.id]) not in other


def test_primary_dashboard_lists_half_days_without_register(world, monday, login_as, client):
    login_as(world.staff_b)
    page = client.get(reverse("absences:dashboard", args=[world.school_b.id])).content.decode()
    assert "2 appels non faits" in page or "2 registers not taken" in page


def _dashboard_queries(n, login_as, client):
    from tests.factories import make_territory

    school = make_school(make_territory())
    klass = make_class(school)
    teacher = make_staff(school, "vie_scolaire")
    teach(teacher, klass=klass)
    pupils = add_pupils(klass, n)
    from absences.models import Reason as R

    reason = R.objects.create(school=school, label="Maladie")
    day = dt.date(2026, 10, 5)
    for hour in (8, 9, 10):
        register = actions.do_open_register(
            teacher, target=klass, day=day, starts_at=dt.time(hour), ends_at=dt.time(hour, 55), manager=True
        )
        actions.do_save_register(teacher, register, {p.id: ("absence", None) for p in pupils}, finish=hour != 10)
    for p in pupils:
        AbsenceEvent.objects.filter(pupil=p).update(state="unexplained")
        from absences.access import current_enrollment
        from absences.actions import do_declare_notice

        enrollment = current_enrollment(p.id)
        do_declare_notice(
            teacher,
            p,
            enrollment,
            data={
                "start_date": dt.date(2026, 10, 12),
                "start_half_day": "am",
                "end_date": dt.date(2026, 10, 12),
                "end_half_day": "pm",
                "reason": reason,
            },
        )
    client.logout()
    login_as(teacher)
    url = reverse("absences:dashboard", args=[school.id])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("/absences/declarations/") == n
    return len(ctx.captured_queries)


def test_dashboard_query_count_is_pinned_and_flat(world, monday, login_as, client):
    small = _dashboard_queries(10, login_as, client)
    big = _dashboard_queries(35, login_as, client)
    assert small == big
    assert big <= 12, big


def test_vie_scolaire_records_a_whole_class_trip(world, reasons, monday, login_as, client):
    login_as(world.vie_scolaire)
    url = reverse("absences:record", args=[world.school.id])
    assert client.get(url).status_code == 200
    data = {
        "target": f"c{world.klass.id}",
        "start_date": "2026-10-08",
        "start_half_day": "am",
        "end_date": "2026-10-09",
        "end_half_day": "pm",
        "kind": "absence",
        "reason": reasons["trip"].id,
        "comment": "Classe de découverte",
    }
    assert client.post(url, data).status_code == 302
    events = AbsenceEvent.objects.all()
    assert events.count() == 8  # 2 pupils × 4 half-days
    assert {e.state for e in events} == {"justified"} and all(e.settled for e in events)
    # Recording the same again adds nothing.
    client.post(url, data)
    assert AbsenceEvent.objects.count() == 8
    # A group over a weekend skips Saturday and Sunday.
    client.post(url, {**data, "target": f"g{world.group.id}", "start_date": "2026-10-16", "end_date": "2026-10-19"})
    assert AbsenceEvent.objects.filter(date__gte=dt.date(2026, 10, 16)).count() == 4


@pytest.mark.parametrize(
    "change",
    [
        {"target": "", "pupil": ""},  # neither
        {"end_date": "2026-10-07"},  # end before start
        {"start_date": "2025-10-08"},  # outside the school year
        {"end_date": "2026-12-31"},  # more than a month
        {"target": "c999999"},
    ],
)
def test_record_bad_input(world, reasons, monday, login_as, client, change):
    login_as(world.vie_scolaire)
    data = {
        "target": f"c{world.klass.id}",
        "start_date": "2026-10-08",
        "start_half_day": "am",
        "end_date": "2026-10-09",
        "end_half_day": "pm",
        "kind": "absence",
        **change,
    }
    assert client.post(reverse("absences:record", args=[world.school.id]), data).status_code == 200
    assert not AbsenceEvent.objects.exists()


def test_record_a_pupil_of_another_school_is_refused(world, monday, login_as, client):
    login_as(world.vie_scolaire)
    data = {
        "pupil": world.pupil_b.id,
        "start_date": "2026-10-08",
        "start_half_day": "am",
        "end_date": "2026-10-08",
        "end_half_day": "am",
        "kind": "absence",
    }
    assert client.post(reverse("absences:record", args=[world.school.id]), data).status_code == 200
    assert not AbsenceEvent.objects.exists()


def test_event_update(world, reasons, monday, login_as, client, open_register):
    actions.do_save_register(world.teacher, open_register(), {world.pupil.id: ("absence", None)}, finish=True)
    event = AbsenceEvent.objects.get()
    url = reverse("absences:event_update", args=[event.id])
    login_as(world.teacher)
    assert client.post(url, {"state": "justified"}).status_code == 403
    assert client.get(url).status_code == 405
    client.logout()
    login_as(world.vie_scolaire)
    # Bad input: an unknown state.
    assert client.post(url, {"state": "forgiven"}).status_code == 200
    event.refresh_from_db()
    assert event.state == "unexplained"
    # Choosing a reason gives its state.
    assert client.post(url, {"state": "unexplained", "reason": reasons["family"].id}).status_code == 302
    event.refresh_from_db()
    assert event.state == "justified" and event.reason == reasons["family"]
    assert client.post(url, {"state": "justified", "reason": reasons["family"].id, "settled": "on"}).status_code == 302
    event.refresh_from_db()
    assert event.settled


def test_class_stats(world, reasons, monday, login_as, client, open_register):
    actions.do_save_register(
        world.teacher,
        open_register(8),
        {world.pupil.id: ("absence", None), world.outsider_pupil.id: ("late", 12)},
        finish=True,
    )
    actions.do_save_register(world.teacher, open_register(9), {world.pupil.id: ("absence", None)}, finish=True)
    login_as(world.teacher)
    url = reverse("absences:class_stats", args=[world.klass.id])
    page = client.get(url).content.decode()
    # One half-day for Léa (two lessons the same morning); 12 minutes late for Noé.
    assert "<td>1</td><td>0</td><td>0</td><td>1</td>" in page
    assert "<td>1</td><td>12</td>" in page
    assert client.get(url, {"start": "2026-10-10", "end": "2026-10-01"}).status_code == 200  # error shown
    client.logout()
    login_as(world.other_teacher)
    assert client.get(url).status_code == 404


def test_csv_export(world, reasons, monday, login_as, client, open_register):
    actions.do_save_register(world.teacher, open_register(8), {world.pupil.id: ("absence", None)}, finish=True)
    world.pupil.last_name = "=HYPERLINK(1)"
    world.pupil.save()
    login_as(world.vie_scolaire)
    response = client.get(
        reverse("absences:export", args=[world.school.id]), {"start": "2026-10-01", "end": "2026-10-31"}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2
    assert rows[1][0] == "05/10/2026" and rows[1][4] == "'=HYPERLINK(1)" and rows[1][6] == "6e A"
    bad = client.get(reverse("absences:export", args=[world.school.id]), {"start": "2026-10-31", "end": "2026-10-01"})
    assert bad.status_code == 200 and bad["Content-Type"].startswith("text/html")


def test_reasons_are_configured_per_school(world, reasons, login_as, client):
    login_as(world.vie_scolaire)
    url = reverse("absences:reasons", args=[world.school.id])
    assert "Maladie" in client.get(url).content.decode()
    assert client.post(url, {"label": "Deuil", "counts_as_justified": "on", "position": 1}).status_code == 302
    assert Reason.objects.filter(school=world.school, label="Deuil").exists()
    # The same label twice: a clear message.
    assert client.post(url, {"label": "maladie", "position": 1}).status_code == 200
    edit = reverse("absences:reason_edit", args=[world.school.id, reasons["family"].id])
    assert client.post(edit, {"label": "Famille", "position": 2}).status_code == 302
    reasons["family"].refresh_from_db()
    assert reasons["family"].label == "Famille" and not reasons["family"].is_active
    # Another school's reason is not reachable through this school.
    other = Reason.objects.create(school=world.school_b, label="X")
    assert client.get(reverse("absences:reason_edit", args=[world.school.id, other.id])).status_code == 404
