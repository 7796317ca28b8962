"""Access matrix of the timetable (see tests/security/matrix.py).

A pupil's week: the pupil, their guardians, their teachers, their school's
office (and the territory admin, as for the pupil's file); never another
family or another school. A class's week: whoever may see the class."""

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
