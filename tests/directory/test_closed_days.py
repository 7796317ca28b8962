"""A school's closed days (issue #22 item 3): kept by its direction and vie
scolaire on one page, nobody else; bad dates refused with a message and
nothing saved."""

import datetime as dt

import pytest
from django.urls import reverse

from absences import calendar, holidays
from ent.directory.models import ClosedDay, School

pytestmark = pytest.mark.django_db


def _url(school):
    return reverse("closed_days", args=[school.id])


def _delete_url(day):
    return reverse("closed_day_delete", args=[day.school_id, day.id])


def _day(school, date=dt.date(2026, 10, 6), label="journée pédagogique", **extra):
    return ClosedDay.objects.create(school=school, date=date, label=label, **extra)


def test_the_direction_adds_a_closed_day_and_sees_it_listed(world, login_as, client):
    login_as(world.direction)
    response = client.post(_url(world.school), {"date": "2027-05-07", "end_date": "", "label": "pont de l’Ascension"})
    assert response.status_code == 302 and response.url == _url(world.school)
    day = ClosedDay.objects.get()
    assert (day.school, day.date, day.end_date, day.label) == (
        world.school,
        dt.date(2027, 5, 7),
        None,
        "pont de l’Ascension",
    )
    page = client.get(_url(world.school)).content.decode()
    assert "pont de l’Ascension" in page and "vendredi 7 mai 2027" in page
    assert "Le jour de fermeture est enregistré." in page


def test_the_vie_scolaire_adds_several_days(world, login_as, client):
    login_as(world.vie_scolaire)
    data = {"date": "2027-06-14", "end_date": "2027-06-16", "label": "brevet"}
    assert client.post(_url(world.school), data).status_code == 302
    day = ClosedDay.objects.get()
    assert (day.date, day.end_date, day.last_day) == (dt.date(2027, 6, 14), dt.date(2027, 6, 16), dt.date(2027, 6, 16))


def test_the_office_page_links_to_it_for_the_office_only(world, login_as, client):
    url = reverse("manage_school", args=[world.school.id])
    login_as(world.direction)
    assert _url(world.school) in client.get(url).content.decode()
    login_as(world.admin)  # manages the directory, not the school's calendar
    page = client.get(url)
    assert page.status_code == 200 and _url(world.school) not in page.content.decode()


@pytest.mark.parametrize("persona", ["staff_b", "guardian", "pupil", "teacher", "referent", "admin", "outsider_parent"])
def test_nobody_else_sees_or_changes_the_closed_days(world, login_as, client, persona):
    day = _day(world.school)
    login_as(getattr(world, persona))
    assert client.get(_url(world.school)).status_code == 404
    data = {"date": "2026-10-07", "label": "intrus"}
    assert client.post(_url(world.school), data).status_code == 404
    assert client.post(_delete_url(day)).status_code == 404
    assert list(ClosedDay.objects.values_list("label", flat=True)) == ["journée pédagogique"]


def test_another_schools_day_cannot_be_deleted_through_ones_own_school(world, login_as, client):
    theirs = _day(world.school_b)
    login_as(world.direction)
    url = reverse("closed_day_delete", args=[world.school.id, theirs.id])
    assert client.post(url).status_code == 404
    assert ClosedDay.objects.filter(id=theirs.id).exists()


def test_anonymous_is_sent_to_sign_in(world, client):
    response = client.get(_url(world.school))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_office_deletes_a_closed_day(world, login_as, client):
    day, kept = _day(world.school), _day(world.school, date=dt.date(2026, 10, 7), label="autre")
    login_as(world.vie_scolaire)
    response = client.post(_delete_url(day))
    assert response.status_code == 302 and response.url == _url(world.school)
    assert list(ClosedDay.objects.all()) == [kept]


def test_wrong_methods_are_405(world, login_as, client):
    day = _day(world.school)
    login_as(world.direction)
    assert client.put(_url(world.school)).status_code == 405
    assert client.delete(_url(world.school)).status_code == 405
    assert client.get(_delete_url(day)).status_code == 405
    assert ClosedDay.objects.count() == 1


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"date": "2026-10-08", "end_date": "2026-10-06", "label": "pont"},
            "Le dernier jour est avant le premier : vérifiez les dates.",
        ),
        (
            {"date": "2027-08-20", "label": "travaux"},
            "Ces dates sont en dehors de l’année scolaire 2026-2027",
        ),
        ({"date": "2026-08-31", "end_date": "2026-09-02", "label": "travaux"}, "en dehors de l’année scolaire"),
        ({"date": "", "label": "pont"}, "Ce champ est obligatoire."),
        ({"date": "pas une date", "label": "pont"}, "Saisissez une date valide."),
        ({"date": "2026-10-06", "label": ""}, "Ce champ est obligatoire."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(world, login_as, client, data, message):
    login_as(world.direction)
    response = client.post(_url(world.school), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ClosedDay.objects.exists()


def test_in_english(world, login_as, client):
    login_as(world.direction)
    client.cookies.load({"django_language": "en"})
    response = client.post(_url(world.school), {"date": "2026-10-08", "end_date": "2026-10-06", "label": "pont"})
    page = response.content.decode()
    assert "The last day is before the first day: check the dates." in page and "Add a closed day" in page


def test_the_list_costs_the_same_for_many_days(world, login_as, client, django_assert_max_num_queries):
    login_as(world.direction)
    client.get(_url(world.school))
    ClosedDay.objects.bulk_create(
        ClosedDay(school=world.school, date=dt.date(2026, 9, 1) + dt.timedelta(days=n), label=f"jour {n}")
        for n in range(60)
    )
    with django_assert_max_num_queries(8):
        page = client.get(_url(world.school))
    assert page.status_code == 200 and "jour 59" in page.content.decode()


def test_the_page_says_when_the_zone_is_not_set(world, login_as, client):
    login_as(world.direction)
    assert "zone de l’établissement n’est pas renseignée" in client.get(_url(world.school)).content.decode()
    School.objects.filter(id=world.school.id).update(holiday_zone=School.HolidayZone.B)
    assert "Vacances scolaires : zone B." in client.get(_url(world.school)).content.decode()


# --- The calendar behind the declaration ------------------------------------------------------


def test_zone_holidays_are_the_schools_own():
    zone_a = School(holiday_zone="A", kind=School.Kind.SECONDARY)
    zone_b = School(holiday_zone="B", kind=School.Kind.SECONDARY)
    blank = School(holiday_zone="", kind=School.Kind.SECONDARY)
    other = School(holiday_zone="other", kind=School.Kind.SECONDARY)
    # Zone A's winter break 2027 is 13 February - 1 March; zone B's 20 February - 8 March.
    a, b = calendar.school_calendar(zone_a), calendar.school_calendar(zone_b)
    assert calendar.why_closed(dt.date(2027, 2, 17), calendar=a) is not None
    assert calendar.why_closed(dt.date(2027, 2, 17), calendar=b) is None
    assert calendar.why_closed(dt.date(2027, 3, 3), calendar=b) is not None
    assert calendar.why_closed(dt.date(2027, 3, 1), calendar=a) is None  # back on Monday 1 March
    for school in (blank, other):
        assert calendar.why_closed(dt.date(2027, 2, 17), calendar=calendar.school_calendar(school)) is None
        # National dates still known.
        assert calendar.why_closed(dt.date(2026, 10, 21), calendar=calendar.school_calendar(school)) is not None


def test_every_zone_has_its_winter_and_spring_breaks_each_year():
    for zone in ("A", "B", "C"):
        periods = holidays.BY_ZONE[zone]
        assert len(periods) == 4
        for first, back, _ in periods:
            # From a Saturday to a Monday two weeks later, as the official calendar reads.
            assert first.weekday() == 5 and back.weekday() == 0 and (back - first).days == 16
    # The three zones never share the same winter week.
    winters = {holidays.BY_ZONE[z][2][0] for z in ("A", "B", "C")}
    assert len(winters) == 3


def test_a_schools_closed_day_is_one_of_its_days_without_school(world):
    _day(world.school, date=dt.date(2027, 5, 7), label="pont de l’Ascension", end_date=dt.date(2027, 5, 7))
    _day(world.school_b, date=dt.date(2026, 10, 6), label="ailleurs")
    found = calendar.closed_days(dt.date(2027, 5, 6), dt.date(2027, 5, 7), world.school)
    assert [(c.day, c.by_school) for c in found] == [(dt.date(2027, 5, 6), False), (dt.date(2027, 5, 7), True)]
    assert "pont de l’Ascension" in str(found[1].why)
    assert calendar.closed_days(dt.date(2026, 10, 6), dt.date(2026, 10, 6), world.school) == []
