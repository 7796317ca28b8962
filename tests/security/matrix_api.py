"""Access matrix of the API (/api/v1/, ent/api), signed in by session here (the
bearer paths are the same functions: tests/api). Each endpoint answers exactly
what the page it mirrors answers, with 401 instead of a redirect to the login
page: another family's child and another school's objects are 404."""

import json

from tests.security.matrix import Route, expect, only
from tests.security.matrix_absences import FILE_READERS, JUSTIFIERS
from tests.security.matrix_homework import _entry, _read_only
from tests.security.matrix_messaging import CLASS_FAMILIES, PARTICIPANTS, SCHOOL_A_STAFF, _ann, _conv
from tests.security.matrix_notify import _guardians_notification

ANON = 401
JSON = {"content_type": "application/json"}


def api(table):
    table["anonymous"] = ANON
    return table


def _token(w):
    from ent.api.actions import do_create_token

    return {"token_id": do_create_token(w.guardian, "app")[0].id}


ROUTES = {
    "api-v1:openapi-json": Route(expect(200, anonymous=200)),
    "api-v1:openapi-view": Route(expect(200, anonymous=200)),
    "api-v1:api-root": Route(expect(404, anonymous=404), note="no endpoint at the root: the docs say where"),
    "api_docs": Route(expect(302, anonymous=302), note="to the docs page"),
    "api_tokens": Route(expect(200)),
    "api_token_revoke": Route(only(["guardian"], status=302), method="post", kwargs=_token),
    "api-v1:me": Route(api(expect(200))),
    "api-v1:children": Route(api(expect(200))),
    "api-v1:week": Route(api(only(["pupil", "guardian", "guardian2", "guardian_nojustify", "outsider_parent"]))),
    "api-v1:tick": Route(
        api(_read_only(200, ["pupil"])),
        method="post",
        kwargs=lambda w: {"entry_id": _entry(w).id},
        data=lambda w: json.dumps({"done": True}),
        extra=JSON,
    ),
    "api-v1:child_absences": Route(api(only(FILE_READERS)), kwargs=lambda w: {"pupil_id": w.pupil.id}),
    "api-v1:declare": Route(
        api(only(JUSTIFIERS, status=422)),
        method="post",
        kwargs=lambda w: {"pupil_id": w.pupil.id},
        note="an empty form: the allowed get the form's errors, the others 404",
    ),
    "api-v1:conversations": Route(api(expect(200))),
    "api-v1:messages": Route(api(only(PARTICIPANTS)), kwargs=_conv),
    "api-v1:send": Route(
        api(only(PARTICIPANTS, status=201)),
        method="post",
        kwargs=_conv,
        data=lambda w: json.dumps({"body": "Oui"}),
        extra=JSON,
    ),
    "api-v1:conversation_read": Route(api(only(PARTICIPANTS)), method="post", kwargs=_conv),
    "api-v1:announcements": Route(api(expect(200))),
    "api-v1:confirm": Route(
        api(only(CLASS_FAMILIES, status=200, **dict.fromkeys(SCHOOL_A_STAFF, 403))), kwargs=_ann, method="post"
    ),
    "api-v1:notifications": Route(api(expect(200))),
    "api-v1:notification_read": Route(api(only(["guardian"])), method="post", kwargs=_guardians_notification),
    "api-v1:mark_all_read": Route(api(expect(200)), method="post"),
    "api-v1:resources": Route(api(expect(200))),
    "api-v1:timetable_week": Route(
        api(expect(200)),
        note="one's own week (a parent's: their first child); another's child: tests/api/test_timetable.py",
    ),
    "api-v1:ws_ticket": Route(
        expect(401, anonymous=401),
        method="post",
        note="bearer tokens only (tests/api/test_ws_ticket.py): a page opens ws/ with its session cookie",
    ),
}
