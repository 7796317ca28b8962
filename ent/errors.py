"""Domain errors, each with a translated message a person can read, and the one
way a page turns them into that message.

Actions raise an `EntError` subclass when a change is refused (bad input, a rule
of the school, a file the gate refused). Page views do not write their own
try/except/messages.error/redirect block for it; they wrap the action call in
`reported()`:

    with errors.reported(request, _("Assignment saved.")) as outcome:
        actions.do_assign(request.user, item, form.cleaned_data)
    return redirect("media:item", item.id)

On an `EntError` the block stops, the error's message goes to the person
(`messages.error`, or the form's errors when `form=` is given, so a page that
re-renders the form shows it next to the fields) and `outcome.ok` is False;
otherwise the `success` message, if any, is queued. When the next step differs
(re-render the form on error, redirect on success), test `outcome.ok`;
`outcome.status` is the HTTP status to render the page with (400, or 403 for a
refusal by the rules, see `status_code`):

    with errors.reported(request, form=form) as outcome:
        conv = actions.do_start_conversation(request.user, ...)
    if outcome.ok:
        return redirect("messaging:conversation", conv.pk)
    return render(request, "messaging/new.html", {"form": form}, status=outcome.status)

Only `EntError` is caught: a bug still fails loudly, and Http404/PermissionDenied
raised by access functions pass through to Django. `StorageUnavailable` passes
through too: the object store being down is no refusal of what the person sent
(nothing was recorded, the same input will work later), so it reaches
`StorageUnavailableMiddleware`, which answers every page with the one 503 page
saying to try again later (JSON endpoints: `{"error": ...}`, 503). JSON endpoints answer with
`exc.message` in their own body and do not use this helper (it is for pages).
"""

from contextlib import contextmanager

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _


class EntError(Exception):
    default_message = _("The request could not be completed.")
    # The status a page re-rendered after this error is sent with: the input was
    # refused (400); subclasses that mean "the rules forbid it" say 403.
    status_code = 400

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class InvalidActivationCode(EntError):
    default_message = _("This username and code do not match, or the code has expired or was already used.")


class StorageUnavailable(EntError):
    default_message = _("The file store is unavailable right now. Nothing was saved; please try again later.")


class AbsenceError(EntError):
    """A change of absences refused (absences/actions/): dates, reasons, a notice already handled."""

    default_message = _("This change could not be saved.")


# Files (ent/files.py) ----------------------------------------------------------
# One family for every upload surface: homework's FileRejected and media's
# FileRefused were twins. FileRejected is gone; media/files.py still defines its
# own FileRefused(EntError) until media20 imports this one (same name, same base,
# so every `except EntError` and `reported()` already treat both alike).


class FileRefused(EntError):
    default_message = _("This file was refused.")


class FileNotOffered(EntError):
    """A stored file that may not be downloaded (yet, or ever)."""


class FileHeld(FileNotOffered):
    default_message = _(
        "This file is being checked by the antivirus. It can be opened in a few minutes: please try again later."
    )


class FileInfected(FileNotOffered):
    default_message = _("The antivirus found a threat in this file: it was deleted and can never be opened.")


# The apps' refusals --------------------------------------------------------------
# One module for every domain error (the apps import theirs from here, so
# `access.PolicyError`, `actions.NotAllowed` still name them where they are raised).
# 403: the rules forbid it; the others: the input was refused (400).


class HomeworkError(EntError):
    default_message = _("This change could not be saved.")


class PolicyError(EntError):
    status_code = 403
    default_message = _("You may not write to this person.")


class ConversationClosed(EntError):
    status_code = 403
    default_message = _("This conversation was closed by the school: no new message can be posted.")


class InvalidMessage(EntError):
    default_message = _("This message cannot be sent.")


class NotAllowed(EntError):
    status_code = 403
    default_message = _("You may not do this.")


class CannotTurnOff(EntError):
    pass


class LifecycleError(EntError):
    pass


class CalendarError(EntError):
    """A school's closed day refused (ent/directory/actions.py): dates out of order or out of the year."""

    default_message = _("This closed day could not be saved.")


class ImportNotReady(EntError):
    pass


class TimetableError(EntError):
    """A timetable change or import refused (ent/timetable/actions.py)."""

    default_message = _("This timetable change could not be saved.")


class InvalidPhoneNumber(EntError):
    default_message = _(
        "This is not a phone number we can use. Write a French number as 06 12 34 56 78 "
        "(overseas too, e.g. 0692 12 34 56), or another country's in international format, e.g. +44 7911 123456."
    )

    def __init__(self, raw: str = ""):
        self.raw = raw
        super().__init__()


# Turning an error into a message -------------------------------------------------


class Outcome:
    """What `reported()` saw: `ok`, the `error` if any, and the page `status`."""

    def __init__(self):
        self.error = None

    @property
    def ok(self):
        return self.error is None

    @property
    def status(self):
        return 200 if self.error is None else self.error.status_code


@contextmanager
def reported(request, success=None, *, form=None, field=None):
    """Run the block; tell the person the `EntError` it raised, or `success`.

    See the module docstring. `form`/`field`: put the message on this form
    (`field=None`: the form's general errors) instead of the messages framework.
    """
    outcome = Outcome()
    try:
        yield outcome
    except StorageUnavailable:
        raise
    except EntError as exc:
        outcome.error = exc
        if form is not None:
            form.add_error(field, exc.message)
        else:
            messages.error(request, exc.message)
    else:
        if success is not None:
            messages.success(request, success)


class StorageUnavailableMiddleware:
    """The object store down under any view: one clear page (503, "try again
    later"), or `{"error": ...}` for a JSON caller. The actions never leave a row
    without its object, so nothing half-done is behind it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, StorageUnavailable):
            return None
        if "application/json" in request.headers.get("Accept", ""):
            response = JsonResponse({"error": str(exception.message)}, status=503)
        else:
            response = render(request, "ent/store_down.html", {"message": exception.message}, status=503)
        response["Retry-After"] = "60"
        response["Cache-Control"] = "no-store"
        return response
