"""A child's absences and notices (the pupil file), and declaring a notice with its
document: the same form as the page (NoticeForm), so the same checks and the one file gate."""

from django.utils.translation import gettext as _
from ninja import Router, Status

from absences import access, pending
from absences.forms import NoticeForm
from absences.models import AbsenceEvent, AbsenceNotice, Reason
from ent.api import problems
from ent.api.core import responses
from ent.api.views import schemas

router = Router(tags=["absences"])


def _person(user):
    return {"id": user.id, "first_name": user.first_name, "last_name": user.last_name}


def _reason(reason, show_private):
    if reason is None:
        return None
    if reason.is_private and not show_private:
        return _("private reason")
    return str(reason.shown_label)


def _notice(n):
    return {
        "id": n.id,
        "starts_at": n.starts_at,
        "ends_at": n.ends_at,
        "status": n.state,
        "reason": str(n.reason.shown_label),
        "comment": n.comment,
    }


@router.get(
    "/children/{pupil_id}/absences", response=responses({200: schemas.ChildAbsences}), summary="A pupil's absences"
)
def child_absences(request, pupil_id: int):
    user = request.user
    pupil = access.access_pupil_file(user, pupil_id)
    events = list(
        AbsenceEvent.objects.visible_to(user)
        .filter(pupil=pupil)
        .select_related("reason")
        .order_by("-date", "-starts_at")[:200]
    )
    show_private = access.sees_private(user, pupil.id, events[0].school_id if events else None)
    notices = []
    if access.may_see_notices(user, pupil.id):
        notices = list(
            AbsenceNotice.objects.visible_to(user).filter(pupil=pupil).select_related("reason").order_by("-starts_at")
        )
    return {
        "pupil": _person(pupil),
        "absences": [
            {"id": e.id, "date": e.date, "kind": e.kind, "status": e.state, "reason": _reason(e.reason, show_private)}
            for e in events
        ],
        "notices": [_notice(n) for n in notices],
        "can_declare": access.can_declare(user, pupil.id),
    }


# The form is read by NoticeForm (the page's), after the access check: described
# here for the schema, not parsed by ninja (which would answer 422 before a 404).
NOTICE_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["start_date", "start_half_day", "end_date", "end_half_day", "reason"],
                "properties": {
                    "start_date": {"type": "string", "format": "date"},
                    "start_half_day": {"type": "string", "enum": ["am", "pm"]},
                    "start_time": {"type": "string", "description": "HH:MM, optional"},
                    "end_date": {"type": "string", "format": "date"},
                    "end_half_day": {"type": "string", "enum": ["am", "pm"]},
                    "end_time": {"type": "string", "description": "HH:MM, optional"},
                    "reason": {"type": "integer", "description": "a reason id of the school"},
                    "comment": {"type": "string", "maxLength": 1000},
                    "document": {"type": "string", "format": "binary", "description": "PDF, JPEG or PNG, 5 MB"},
                },
            }
        }
    },
}


@router.post(
    "/children/{pupil_id}/notices",
    response=responses({201: schemas.Notice}),
    summary="Declare an absence (with its document)",
    openapi_extra={"requestBody": NOTICE_BODY},
)
def declare(request, pupil_id: int):
    pupil, enrollment = access.access_declarable_child(request.user, pupil_id)
    school = enrollment.school_class.school
    reasons = Reason.objects.visible_to(request.user).offered().filter(school_id=school.id)
    form = NoticeForm(
        request.POST,
        request.FILES,
        reasons=reasons,
        user=request.user,
        pupil=pupil,
        year=enrollment.school_class.year,
        school=school,
    )
    if not form.is_valid():
        errors = [{"loc": ["form", field], "msg": str(msg)} for field, msgs in form.errors.items() for msg in msgs]
        return problems.problem(
            422, "invalid", _("Invalid request"), _("Some fields are missing or wrong."), errors=errors
        )
    notice = pending.do_declare_notice(request.user, pupil, enrollment, **form.declaration())
    return Status(201, _notice(notice))
