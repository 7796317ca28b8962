"""Access matrix entries for absences (see tests/security/matrix.py).

Rows are made on demand from the world: a register of 6e A today, an absence of
Léa (the `pupil` persona), a notice declared by her mother with a document, a
reason of the school."""

import datetime as dt

from django.utils import timezone

from tests.security.matrix import LOGIN, Route, only

MANAGERS = ["vie_scolaire", "direction"]
FILE_READERS = ["pupil", "guardian", "guardian2", "guardian_nojustify", "teacher"] + MANAGERS
JUSTIFIERS = ["guardian", "guardian2"]


def _register(w):
    from absences.models import Register

    return Register.objects.get_or_create(
        school=w.school,
        school_class=w.klass,
        date=timezone.localdate(),
        starts_at=dt.time(9),
        defaults={"half_day": "am", "ends_at": dt.time(9, 55)},
    )[0]


def _event(w):
    from absences import actions
    from absences.models import AbsenceEvent

    register = _register(w)
    return AbsenceEvent.objects.get_or_create(
        pupil=w.pupil,
        register=register,
        defaults={
            "school": w.school,
            "school_class": w.klass,
            "date": register.date,
            "half_day": "am",
            "starts_at": actions.aware(register.date, dt.time(9)),
            "ends_at": actions.aware(register.date, dt.time(9, 55)),
        },
    )[0]


def _reason(w):
    from absences.models import Reason

    return Reason.objects.get_or_create(school=w.school, label="Maladie", defaults={"is_private": True})[0]


def _notice(w):
    from absences import actions
    from absences.models import AbsenceNotice

    day = timezone.localdate()
    start, end = actions.half_day_bounds(day, "am")[0], actions.half_day_bounds(day, "pm")[1]
    return AbsenceNotice.objects.get_or_create(
        pupil=w.pupil,
        school=w.school,
        start_date=day,
        defaults={
            "declared_by": w.guardian,
            "start_half_day": "am",
            "end_date": day,
            "end_half_day": "pm",
            "starts_at": start,
            "ends_at": end,
            "reason": _reason(w),
            # Presigned URLs are signed locally: no object store needed for the redirect.
            "document_key": f"absences/notices/{w.pupil.id}/matrix.pdf",
            "document_name": "certificat.pdf",
            "document_type": "application/pdf",
            "document_size": 10,
            "scan": "offered",  # scanned already: this matrix is about who may open it
        },
    )[0]


def _open_data(w):
    return {
        "target": f"c{w.klass.id}",
        "date": timezone.localdate().isoformat(),
        "starts_at": "09:00",
        "ends_at": "09:55",
    }


ROUTES = {
    "absences:home": Route(
        only(
            [
                "pupil",
                "guardian",
                "guardian2",
                "guardian_nojustify",
                "teacher",
                "other_teacher",
                "referent",
                "admin",
                "outsider_parent",
            ],
            other=302,
            anonymous=LOGIN,
        ),
        note="vie scolaire and direction are sent to their day dashboard",
    ),
    "absences:register_open": Route(
        only(["teacher"] + MANAGERS, status=302, other_teacher=200, staff_b=200),
        method="post",
        data=_open_data,
        note="a teacher or manager choosing a class that is not theirs gets the form back with an error",
    ),
    "absences:register": Route(only(["teacher"] + MANAGERS), kwargs=lambda w: {"register_id": _register(w).id}),
    "absences:pupil_file": Route(only(FILE_READERS), kwargs=lambda w: {"pupil_id": w.pupil.id}),
    "absences:declare": Route(only(JUSTIFIERS), kwargs=lambda w: {"pupil_id": w.pupil.id}),
    "absences:event_detail": Route(only(FILE_READERS), kwargs=lambda w: {"event_id": _event(w).id}),
    "absences:event_update": Route(
        only(
            MANAGERS,
            status=302,
            **dict.fromkeys(["pupil", "guardian", "guardian2", "guardian_nojustify", "teacher"], 403),
        ),
        method="post",
        kwargs=lambda w: {"event_id": _event(w).id},
        data=lambda w: {"state": "unexplained"},
    ),
    "absences:notice_detail": Route(only(JUSTIFIERS + MANAGERS), kwargs=lambda w: {"notice_id": _notice(w).id}),
    "absences:notice_document": Route(
        only(JUSTIFIERS + MANAGERS, status=302), kwargs=lambda w: {"notice_id": _notice(w).id}
    ),
    "absences:notice_validate": Route(
        only(MANAGERS, status=302, guardian=403, guardian2=403),
        method="post",
        kwargs=lambda w: {"notice_id": _notice(w).id},
        note="direction comes after vie scolaire: 'already handled', still a redirect",
    ),
    "absences:notice_reject": Route(
        only(MANAGERS, status=302, guardian=403, guardian2=403),
        method="post",
        kwargs=lambda w: {"notice_id": _notice(w).id},
        data=lambda w: {"reject_reason": "Pas de justificatif."},
    ),
    "absences:dashboard": Route(only(MANAGERS), kwargs=lambda w: {"school_id": w.school.id}),
    "absences:record": Route(only(MANAGERS), kwargs=lambda w: {"school_id": w.school.id}),
    "absences:export": Route(only(MANAGERS), kwargs=lambda w: {"school_id": w.school.id}),
    "absences:reasons": Route(only(MANAGERS), kwargs=lambda w: {"school_id": w.school.id}),
    "absences:reason_edit": Route(
        only(MANAGERS), kwargs=lambda w: {"school_id": w.school.id, "reason_id": _reason(w).id}
    ),
    "absences:audit": Route(only(["direction"]), kwargs=lambda w: {"school_id": w.school.id}),
    "absences:class_stats": Route(only(["teacher"] + MANAGERS), kwargs=lambda w: {"class_id": w.klass.id}),
}
