"""Every API error as an RFC 9457 problem details body (application/problem+json),
its `title`/`detail` in the language of Accept-Language (LocaleMiddleware chose it)."""

import json

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from ent.errors import EntError

CONTENT_TYPE = "application/problem+json"
# What `type` points at: the documentation's section on errors (a stable URI, RFC 9457 §3.1.1).
TYPE_BASE = "/api/docs/#errors-"


class FieldError(Schema):
    loc: list[str | int]
    msg: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None


def problem(status: int, code: str, title, detail=None, *, errors=None, headers=None) -> HttpResponse:
    body = {"type": TYPE_BASE + code, "title": str(title), "status": status}
    if detail:
        body["detail"] = str(detail)
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _not_found(request, exc):
    # The same answer for "missing" and "not yours" (as the pages): nothing tells them apart.
    return problem(404, "not-found", _("Not found"), _("There is nothing here, or it is not yours to see."))


def _forbidden(request, exc):
    return problem(403, "forbidden", _("Not allowed"), _("You may not do this."))


def _refused(request, exc: EntError):
    code = "forbidden" if exc.status_code == 403 else "refused"
    return problem(exc.status_code, code, _("Not allowed") if code == "forbidden" else _("Refused"), exc.message)


def _invalid(request, exc: ValidationError):
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in exc.errors
        if isinstance(e, dict)
    ]
    return problem(422, "invalid", _("Invalid request"), _("Some fields are missing or wrong."), errors=errors)


def _http_error(request, exc: HttpError):
    if isinstance(exc, Throttled):
        headers = {"Retry-After": str(int(exc.wait or 1))}
        return problem(
            429, "too-many-requests", _("Too many requests"), _("Wait a moment, then try again."), headers=headers
        )
    if isinstance(exc, AuthenticationError) or exc.status_code == 401:
        return problem(
            401,
            "unauthorized",
            _("Sign-in needed"),
            _("Send a valid token in the Authorization header (Bearer), or sign in."),
            headers={"WWW-Authenticate": 'Bearer realm="ent"'},
        )
    if exc.status_code == 405:
        return problem(405, "method-not-allowed", _("Method not allowed"))
    if exc.status_code == 403:
        # Ninja's CSRF refusal for session use, or a token for another resource.
        return problem(403, "forbidden", _("Not allowed"), str(exc.message))
    if exc.status_code == 400:
        return problem(400, "bad-request", _("Bad request"), _("The body could not be read: send JSON or a form."))
    return problem(exc.status_code, "error", str(exc.message))


def install(api) -> None:
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(PermissionDenied, _forbidden)
    api.add_exception_handler(EntError, _refused)
    api.add_exception_handler(ValidationError, _invalid)
    api.add_exception_handler(HttpError, _http_error)
