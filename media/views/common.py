"""What media's views share: the object store's outage page and refusals as messages."""

import functools
from contextlib import contextmanager

from django.http import JsonResponse
from django.shortcuts import render

from ent import errors
from ent.errors import StorageUnavailable


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def json_error(message, status=400, fields=None):
    """A JSON endpoint's refusal: the message, and a form's errors by field."""
    body = {"error": str(message)}
    if fields:
        body["fields"] = {k: [str(e) for e in v] for k, v in fields.items()}
    return JsonResponse(body, status=status)


def store_errors(view):
    """The object store down: one clear page (503), nothing half-recorded (the
    actions never leave a row without its object)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except StorageUnavailable as exc:
            if wants_json(request):
                return JsonResponse({"error": str(exc.message)}, status=503)
            return render(request, "media/store_down.html", {"message": exc.message}, status=503)

    return wrapper


class _StoreDown(Exception):
    """Carries StorageUnavailable past errors.reported(), which catches every EntError."""


@contextmanager
def reported(request, success=None, **kwargs):
    """`ent.errors.reported()`, except for the object store being down: that is no
    refusal of what the person sent, so it still reaches `store_errors` (the 503
    page saying to try again later) instead of becoming a message."""
    try:
        with errors.reported(request, success, **kwargs) as outcome:
            try:
                yield outcome
            except StorageUnavailable as exc:
                raise _StoreDown(exc) from exc
    except _StoreDown as down:
        raise down.args[0] from None
