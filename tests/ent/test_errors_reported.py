import json

import pytest
from django import forms
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse

from ent import errors


class Refused(errors.EntError):
    default_message = "refused"


class Forbidden(errors.EntError):
    default_message = "forbidden"
    status_code = 403


class NoteForm(forms.Form):
    body = forms.CharField()


@pytest.fixture
def request_(rf):
    request = rf.post("/")
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    MessageMiddleware(lambda r: HttpResponse()).process_request(request)
    return request


def _messages(request):
    return [(m.level, str(m)) for m in messages.get_messages(request)]


def test_success_message_when_the_block_completes(request_):
    with errors.reported(request_, "saved") as outcome:
        pass
    assert outcome.ok
    assert outcome.status == 200
    assert _messages(request_) == [(messages.SUCCESS, "saved")]


def test_no_message_without_success_text(request_):
    with errors.reported(request_) as outcome:
        pass
    assert outcome.ok
    assert _messages(request_) == []


def test_domain_error_becomes_an_error_message_and_stops_the_block(request_):
    reached = []
    with errors.reported(request_, "saved") as outcome:
        raise Refused
        reached.append(True)  # pragma: no cover
    assert not outcome.ok
    assert isinstance(outcome.error, Refused)
    assert outcome.status == 400
    assert reached == []
    assert _messages(request_) == [(messages.ERROR, "refused")]


def test_error_goes_on_the_form_when_given(request_):
    form = NoteForm({"body": "x"})
    assert form.is_valid()
    with errors.reported(request_, "saved", form=form, field="body") as outcome:
        raise Forbidden("not for you")
    assert outcome.status == 403
    assert form.errors == {"body": ["not for you"]}
    assert _messages(request_) == []


def test_other_exceptions_pass_through(request_):
    with pytest.raises(PermissionDenied), errors.reported(request_, "saved"):
        raise PermissionDenied
    with pytest.raises(ZeroDivisionError), errors.reported(request_, "saved"):
        1 / 0  # noqa: B018
    assert _messages(request_) == []


def test_an_outage_is_no_refusal_it_passes_through(request_):
    """The store being down is not a refusal of the input: reported() lets it go
    on (to StorageUnavailableMiddleware's 503 page), no message, no form error."""
    form = NoteForm({"body": "x"})
    assert form.is_valid()
    with pytest.raises(errors.StorageUnavailable), errors.reported(request_, "saved", form=form):
        raise errors.StorageUnavailable
    assert form.errors == {}
    assert _messages(request_) == []


def test_the_middleware_answers_an_outage_with_the_503_page(rf):
    middleware = errors.StorageUnavailableMiddleware(lambda r: HttpResponse())
    request = rf.get("/ressources/")
    request.user = AnonymousUser()
    response = middleware.process_exception(request, errors.StorageUnavailable())
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    assert "unavailable" in text or "indisponible" in text
    request = rf.post("/ressources/envoi/debut", HTTP_ACCEPT="application/json")
    request.user = AnonymousUser()
    response = middleware.process_exception(request, errors.StorageUnavailable())
    assert response.status_code == 503 and "error" in json.loads(response.content)
    assert middleware.process_exception(request, ValueError()) is None
