"""`manage.py seed_demo`: the demo logins and their roles, idempotence, the DEBUG
guard, the bucket and the per-app hooks."""

import io
import socket
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.auth.hashers import check_password, get_hasher
from django.core.management import CommandError, call_command
from django.urls import reverse

from ent import storage
from ent.directory import demo
from ent.directory.models import Guardianship, School, StaffRole, User

LOGINS = ["admin", "direction", "cpe", "referent", "prof", "parent", "eleve", "parent2", "prof2"]


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def no_s3(settings):
    settings.S3_ENDPOINT = f"127.0.0.1:{_closed_port()}"
    storage.reset_clients()
    yield
    storage.reset_clients()


def seed(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def seeded(db, settings, no_s3):
    settings.DEBUG = True
    return seed()


@pytest.fixture
def users(seeded):
    return {u.username: u for u in User.objects.filter(username__in=LOGINS)}


def directory_counts():
    counts = {model._meta.label: model.objects.count() for model in apps.get_app_config("directory").get_models()}
    counts["group members"] = User.pupil_groups.through.objects.count()
    return counts


def test_every_demo_login_exists_with_the_demo_password(users):
    assert set(users) == set(LOGINS)
    for user in users.values():
        assert user.is_demo
        assert user.is_active
        assert check_password(demo.DEMO_PASSWORD, user.password)
        assert user.first_name and user.last_name
    assert not User.objects.filter(is_demo=False).exists()


def test_roles_of_the_demo_logins(users):
    roles = {name: user.roles for name, user in users.items()}
    eleve_class = next(iter(roles["eleve"].pupil_class_ids))
    college = users["eleve"].enrollments.get().school_class.school

    assert roles["eleve"].pupil_class_ids == {eleve_class}
    assert college.kind == School.Kind.SECONDARY

    # parent: two children in two schools, eleve is one of them.
    assert len(roles["parent"].child_ids) == 2
    assert users["eleve"].id in roles["parent"].child_ids
    assert len(roles["parent"].children_school_ids) == 2
    assert {s.kind for s in School.objects.filter(id__in=roles["parent"].children_school_ids)} == {
        School.Kind.PRIMARY,
        School.Kind.SECONDARY,
    }

    # prof teaches eleve's class; prof2 teaches in the other school, none of parent's children.
    assert eleve_class in roles["prof"].taught_class_ids
    parent_children_classes = set().union(*roles["parent"].child_class_ids.values())
    assert roles["prof2"].is_teacher
    assert not roles["prof2"].taught_class_ids & parent_children_classes
    assert roles["prof2"].teacher_school_ids and college.id not in roles["prof2"].teacher_school_ids

    # parent2: another family, with a child in eleve's class.
    assert roles["parent2"].child_ids and users["eleve"].id not in roles["parent2"].child_ids
    assert eleve_class in set().union(*roles["parent2"].child_class_ids.values())
    assert not roles["parent2"].child_ids & roles["parent"].child_ids

    # Staff of eleve's school, and a territory admin of its territory.
    assert roles["direction"].staff == {college.id: {StaffRole.Role.DIRECTION}}
    assert roles["cpe"].staff == {college.id: {StaffRole.Role.VIE_SCOLAIRE}}
    assert roles["referent"].staff == {college.id: {StaffRole.Role.REFERENT}}
    assert roles["admin"].admin_territory_ids == {college.territory_id}
    for name in ("direction", "cpe", "referent", "admin"):
        assert not roles[name].is_teacher and not roles[name].is_parent and not roles[name].is_pupil


def test_separated_guardians(seeded):
    """One child has two guardians with separate accounts, each linked only to that child."""
    emma = User.objects.get(first_name="Emma", last_name="Faure", is_demo=True)
    guardians = [link.guardian for link in Guardianship.objects.filter(pupil=emma).select_related("guardian")]
    assert len(guardians) == 2
    assert len({g.last_name for g in guardians}) == 2
    for guardian in guardians:
        assert guardian.roles.child_ids == {emma.id}


def test_the_college_has_its_zone_and_a_closed_day_the_declaration_warns_about(seeded):
    from absences import calendar
    from ent.directory.models import ClosedDay

    college = School.objects.get(uai=demo.SCHOOLS["college"][1])
    ecole = School.objects.get(uai=demo.SCHOOLS["ecole"][1])
    assert college.holiday_zone == School.HolidayZone.A and ecole.holiday_zone == ""
    bridge = ClosedDay.objects.get()
    assert bridge.school == college and bridge.date.weekday() == 4 and bridge.label == "pont de l’Ascension"
    assert college.years.get(is_current=True).starts_on <= bridge.date <= college.years.get(is_current=True).ends_on
    [warned] = calendar.doubtful_days(bridge.date, bridge.date, college)
    assert warned.by_school and "pont de l’Ascension" in str(warned.why)


def test_the_demo_has_realistic_volume(seeded):
    schools = {s.kind: s for s in School.objects.all()}
    assert set(schools) == {School.Kind.PRIMARY, School.Kind.SECONDARY}
    assert len({s.commune for s in schools.values()}) == 2
    primary_levels = set(schools[School.Kind.PRIMARY].classes.values_list("level", flat=True))
    assert primary_levels == {"CP", "CE1", "CE2", "CM1", "CM2"}
    assert set(schools[School.Kind.SECONDARY].classes.values_list("level", flat=True)) == {"6e", "5e"}
    for school in schools.values():
        for klass in school.classes.all():
            assert 20 <= klass.enrollments.count() <= 30
        assert school.subjects.count() >= 5
    # Pupils have no email; every adult has a unique one.
    assert not User.objects.filter(enrollments__isnull=False).exclude(email="").exists()
    emails = list(User.objects.filter(enrollments__isnull=True).values_list("email", flat=True))
    assert all(emails) and len(emails) == len(set(emails))


def test_second_run_changes_nothing(seeded, settings):
    before = directory_counts()
    ids = set(User.objects.values_list("id", "username", "password"))
    out, _ = seed()
    assert "already there" in out
    assert directory_counts() == before
    assert set(User.objects.values_list("id", "username", "password")) == ids


def test_refused_when_debug_is_off(db, settings, no_s3):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refused when DEBUG is off"):
        seed()
    assert not User.objects.exists()
    seed("--force")
    assert User.objects.filter(username="eleve", is_demo=True).exists()


def test_refuses_to_take_over_real_accounts(db, settings, no_s3):
    settings.DEBUG = True
    User.objects.create_user("admin", password="a-real-admin-password-1")
    with pytest.raises(CommandError, match="already belong to real accounts: admin"):
        seed()
    assert User.objects.count() == 1


def test_fast(db, settings, no_s3):
    """The demo hashes its password once for everybody (with the real hashers, as
    in `make run`: one Argon2id hash costs what hundreds of page views do). Its
    speed belongs to the bench; this pins what makes it fast."""
    settings.DEBUG = True
    import ent.settings

    settings.PASSWORD_HASHERS = ent.settings.PASSWORD_HASHERS
    hasher = type(get_hasher())
    with mock.patch.object(hasher, "encode", autospec=True, side_effect=hasher.encode) as encode:
        seed()
    assert encode.call_count == 1
    assert hasher.algorithm == "argon2"
    assert User.objects.count() > 300
    # Everybody with a password has that Argon2id one (unusable ones start with "!").
    assert not User.objects.exclude(password__startswith="argon2").exclude(password__startswith="!").exists()


def test_warns_when_the_object_store_is_down(seeded):
    out, err = seeded
    assert "does not answer" in err
    assert "Demo ready" in out


@pytest.mark.django_db
def test_creates_the_bucket(settings, s3):
    settings.DEBUG = True
    s3.client().remove_bucket(settings.S3_BUCKET)
    out, err = seed()
    assert s3.client().bucket_exists(settings.S3_BUCKET)
    assert "ready" in out and not err


def test_hooks_get_the_context(db, settings, no_s3, monkeypatch):
    calls = []
    module = type(demo)("tests_ops_fake_hooks")
    module.seed = lambda context: calls.append(("app", context))
    module.seed_notifications = lambda users: calls.append(("notify", users))
    monkeypatch.setitem(__import__("sys").modules, "tests_ops_fake_hooks", module)
    monkeypatch.setattr(demo, "NOTIFY_HOOK", "tests_ops_fake_hooks:seed_notifications")
    monkeypatch.setattr(
        demo,
        "SEED_HOOKS",
        ["tests_ops_fake_hooks:seed", "tests_ops_no_such_module.demo:seed", "tests_ops_fake_hooks:missing"],
    )
    settings.DEBUG = True
    seed()
    seed()
    assert [kind for kind, _ in calls] == ["app", "notify", "app", "notify"]
    first, notify_users, second = calls[0][1], calls[1][1], calls[2][1]
    assert {u.username for u in notify_users} == set(LOGINS)
    assert first.created and not second.created
    assert first.users["eleve"] == second.users["eleve"]
    assert set(first.classes) == set(second.classes)
    assert {p.id for p in first.pupils["6e A"]} == {p.id for p in second.pupils["6e A"]}
    assert {t.id for t in first.teachers} == {t.id for t in second.teachers}
    assert first.subjects.keys() == second.subjects.keys()
    assert first.s3_available is False


def test_a_broken_hook_is_not_hidden(db, settings, no_s3, monkeypatch):
    monkeypatch.setattr(demo, "SEED_HOOKS", ["tests.ops.broken_hook_for_tests:seed"])
    settings.DEBUG = True
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency"):
        seed()


@pytest.mark.django_db
@pytest.mark.parametrize("login", LOGINS)
def test_each_demo_login_reaches_the_home_page(client, settings, no_s3, login):
    settings.DEBUG = True
    settings.ENT_DEMO_MODE = True  # as in `make run`: demo staff skip MFA
    seed()
    user = User.objects.get(username=login)
    response = client.post("/accounts/login/", {"login": login, "password": demo.DEMO_PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/"
    assert user.get_full_name() in response.content.decode()


def _first_full_week(schools, year):
    """The first Monday of the year whose five days are school days in every one of `schools`."""
    from datetime import timedelta

    from ent import schoolcalendar

    calendars = [schoolcalendar.school_calendar(s) for s in schools]
    monday = year.starts_on - timedelta(days=year.starts_on.weekday())
    while monday <= year.ends_on:
        days = [monday + timedelta(days=n) for n in range(5)]
        if not any(schoolcalendar.why_closed(d, calendar=c) for d in days for c in calendars):
            return monday
        monday += timedelta(days=7)
    raise AssertionError("no full school week in the demo year")


def test_parent_sees_a_week_whichever_child_is_chosen(seeded, client):
    """The collège's child (Léa) and the école's (Hugo, the first by first name: the default) both have a
    week; the école's counts in half-days, no subject, Wednesday a morning only."""
    parent = User.objects.get(username="parent")
    children = {c.first_name: c for c in User.objects.children_of(parent)}
    ecole = School.objects.get(uai=demo.SCHOOLS["ecole"][1])
    college = School.objects.get(uai=demo.SCHOOLS["college"][1])
    monday = _first_full_week([ecole, college], ecole.years.get(is_current=True))
    client.force_login(parent)
    week = client.get(reverse("timetable:mine"), {"semaine": monday.isoformat()})  # no child chosen yet: Hugo
    assert week.status_code == 200 and week.context["pupil"] == children["Hugo"]
    halves = {(day["date"].weekday(), x.half_day) for day in week.context["days"] for x in day["lessons"]}
    assert halves == {(d, h) for d in range(5) for h in ("am", "pm")} - {(2, "pm")}
    assert all(x.subject is None for day in week.context["days"] for x in day["lessons"])
    assert client.post(reverse("select_child"), {"child": children["Léa"].id}).status_code == 302
    week = client.get(reverse("timetable:mine"), {"semaine": monday.isoformat()})
    assert week.context["pupil"] == children["Léa"]
    assert all(day["lessons"] for day in week.context["days"])
