"""Access matrix of the timetable (see tests/security/matrix.py).

A pupil's week: the pupil, their guardians, their teachers, their school's
office (and the territory admin, as for the pupil's file); never another
family or another school. A class's week: whoever may see the class."""

from datetime import timedelta

from tests.security.matrix import FAMILY, SCHOOL_STAFF, Route, expect, only

ROUTES = {
    "timetable:mine": Route(expect(200)),
    "timetable:pupil": Route(
        only(FAMILY + ["teacher", "admin"] + SCHOOL_STAFF), kwargs=lambda w: {"pupil_id": w.pupil.id}
    ),
    "timetable:class": Route(
        only(FAMILY + ["teacher", "admin", "outsider_parent"] + SCHOOL_STAFF),
        kwargs=lambda w: {"class_id": w.klass.id},
    ),
}


def _change_on_pupils_lesson(w):
    from datetime import date

    from ent.timetable.models import Change
    from tests.timetable.conftest import make_slot

    slot = make_slot(w.school, klass=w.klass, teachers=[w.teacher])
    change = Change.objects.create(school=w.school, slot=slot, date=date(2026, 10, 5), kind=Change.Kind.ROOM, room="9")
    return {"change_id": change.id}


# The office that keeps the timetable: vie scolaire and direction. Whoever
# sees the lesson but does not keep it gets 403 on a write, anyone else 404.
KEEPERS = ["vie_scolaire", "direction"]
ROUTES |= {
    "timetable:import": Route(only(KEEPERS), kwargs=lambda w: {"school_id": w.school.id}),
    "timetable:changes": Route(only(KEEPERS), kwargs=lambda w: {"school_id": w.school.id}),
    "timetable:change_withdraw": Route(
        only(["vie_scolaire"], status=302, **dict.fromkeys(FAMILY + ["teacher"], 403)),
        method="post",
        kwargs=_change_on_pupils_lesson,
        note="personas run in order on one change: once vie_scolaire has withdrawn it, it is gone (404) for "
        "the next ones; direction's withdrawal is tested in tests/timetable/test_office_pages.py",
    ),
}


def _timetable_feed(w):
    from homework.models import CalendarFeed

    return CalendarFeed.objects.create(owner=w.pupil, pupil=w.pupil, kind=CalendarFeed.Kind.TIMETABLE)


# The timetable's calendar address: the homework feeds' tokens, of kind
# TIMETABLE. For `pupil`'s timetable: the pupil and each of their guardians
# make and revoke their own; a teacher holds one of their own lessons only
# (tests/timetable/test_ical.py), never a pupil's.
ROUTES |= {
    "timetable:feed_regenerate": Route(only(FAMILY, status=302), method="post", data=lambda w: {"pupil": w.pupil.id}),
    "timetable:feed_revoke": Route(only(FAMILY, status=302), method="post", data=lambda w: {"pupil": w.pupil.id}),
    "timetable:ical_feed": Route(
        {**only([], other=200), "anonymous": 200},
        kwargs=lambda w: {"token": _timetable_feed(w).token},
        note="the secret address is the credential: calendar apps cannot log in",
    ),
}


def _first_monday(w):
    from tests.factories import current_year

    year = current_year(w.school)
    return {"monday": (year.starts_on - timedelta(days=year.starts_on.weekday())).isoformat(), "kind": "B"}


# The A/B weeks of the year: the same keepers as the import and changes.
ROUTES |= {
    "timetable:weeks": Route(only(KEEPERS), kwargs=lambda w: {"school_id": w.school.id}),
    "timetable:week_set": Route(
        only(KEEPERS, status=302), method="post", kwargs=lambda w: {"school_id": w.school.id}, data=_first_monday
    ),
}
