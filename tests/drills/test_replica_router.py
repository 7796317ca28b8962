"""The router's decisions, in process (the real standby is in test_replica.py):
which requests read from the replica, the read-your-writes pin, transactions,
tasks, a replica that fails mid-request, and no replica configured."""

import os
import subprocess
import sys

import pytest
import time_machine
from django.db import DEFAULT_DB_ALIAS, OperationalError, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from ent import db_router
from ent.db_router import PIN_COOKIE, REPLICA, PrimaryReplicaRouter, ReadYourWritesMiddleware
from ent.directory.models import User
from tests.ops.envscan import ROOT

router = PrimaryReplicaRouter()


@pytest.fixture
def replica_up(monkeypatch, settings):
    settings.DATABASE_REPLICA_PIN_SECONDS = 10
    monkeypatch.setattr(db_router, "replica_available", lambda: True)


def run(request, view):
    """The request through the middleware: the view's answer and the response."""
    seen = {}

    def get_response(req):
        seen["result"] = view(req)
        return HttpResponse("ok")

    response = ReadYourWritesMiddleware(get_response)(request)
    return seen.get("result"), response


def read_alias(request):
    return router.db_for_read(User)


def test_a_get_reads_from_the_replica(replica_up):
    alias, response = run(RequestFactory().get("/"), read_alias)
    assert alias == REPLICA and PIN_COOKIE not in response.cookies


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_read_from_the_primary_and_pin(replica_up, method):
    alias, response = run(getattr(RequestFactory(), method)("/"), read_alias)
    assert alias == DEFAULT_DB_ALIAS and PIN_COOKIE in response.cookies
    assert response.cookies[PIN_COOKIE]["max-age"] == 10 and response.cookies[PIN_COOKIE]["httponly"]


def test_writes_always_go_to_the_primary(replica_up):
    def view(request):
        return router.db_for_write(User), router.db_for_read(User)

    (write, read_after), response = run(RequestFactory().get("/"), view)
    assert write == DEFAULT_DB_ALIAS
    # Read-your-writes in the same request, and the browser is pinned after it.
    assert read_after == DEFAULT_DB_ALIAS and PIN_COOKIE in response.cookies


def test_the_pin_sends_the_next_requests_to_the_primary(replica_up):
    _, response = run(RequestFactory().post("/"), read_alias)
    pinned = RequestFactory().get("/")
    pinned.COOKIES[PIN_COOKIE] = response.cookies[PIN_COOKIE].value
    assert run(pinned, read_alias)[0] == DEFAULT_DB_ALIAS


def test_the_pin_expires(replica_up):
    with time_machine.travel("2026-12-02 10:00:00", tick=False):
        _, response = run(RequestFactory().post("/"), read_alias)
    request = RequestFactory().get("/")
    request.COOKIES[PIN_COOKIE] = response.cookies[PIN_COOKIE].value
    with time_machine.travel("2026-12-02 10:00:11", tick=False):
        assert run(request, read_alias)[0] == REPLICA


def test_a_forged_pin_is_ignored(replica_up):
    request = RequestFactory().get("/")
    request.COOKIES[PIN_COOKIE] = "1:forged:signature"
    assert run(request, read_alias)[0] == REPLICA


@pytest.mark.django_db
def test_inside_a_transaction_reads_stay_on_the_primary(replica_up):
    def view(request):
        with transaction.atomic():
            return router.db_for_read(User)

    assert run(RequestFactory().get("/"), view)[0] == DEFAULT_DB_ALIAS


def test_the_page_cache_renders_from_the_primary(replica_up):
    def view(request):
        with db_router.primary():
            inside = router.db_for_read(User)
        return inside, router.db_for_read(User)

    assert run(RequestFactory().get("/"), view)[0] == (DEFAULT_DB_ALIAS, REPLICA)


def test_outside_a_request_everything_is_on_the_primary(replica_up):
    # Celery tasks, management commands, the shell.
    assert router.db_for_read(User) == DEFAULT_DB_ALIAS
    assert router.db_for_write(User) == DEFAULT_DB_ALIAS


def test_replica_unreachable_means_the_primary(monkeypatch):
    monkeypatch.setattr(db_router, "replica_available", lambda: False)
    assert run(RequestFactory().get("/"), read_alias)[0] == DEFAULT_DB_ALIAS


def test_a_replica_failing_mid_request_is_retried_on_the_primary(replica_up, monkeypatch):
    monkeypatch.setattr(db_router, "mark_replica_down", lambda exc=None: None)
    calls = []

    def view(request):
        alias = router.db_for_read(User)
        calls.append(alias)
        if alias == REPLICA:
            raise OperationalError("server closed the connection unexpectedly")
        return HttpResponse(alias)

    middleware = ReadYourWritesMiddleware(lambda request: None)
    request = RequestFactory().get("/")
    token = db_router._route.set(db_router._Route(read_from=REPLICA))
    try:
        middleware.process_view(request, view, (), {})
        with pytest.raises(OperationalError):
            view(request)
        response = middleware.process_exception(request, OperationalError("gone"))
    finally:
        db_router._route.reset(token)
    assert calls == [REPLICA, DEFAULT_DB_ALIAS] and response.content == b"default"


def test_an_error_that_is_not_the_replica_is_left_alone(replica_up):
    middleware = ReadYourWritesMiddleware(lambda request: None)
    request = RequestFactory().get("/")
    token = db_router._route.set(db_router._Route(read_from=REPLICA))
    try:
        middleware.process_view(request, read_alias, (), {})
        assert middleware.process_exception(request, ValueError("a bug")) is None
    finally:
        db_router._route.reset(token)


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "homework") is True
    assert router.allow_migrate(REPLICA, "homework") is False


PROBE = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(sorted(s.DATABASES), getattr(s, 'DATABASE_ROUTERS', []), "
    "'ent.db_router.ReadYourWritesMiddleware' in s.MIDDLEWARE)"
)


def probe(**env):
    """ent.settings imported in a fresh interpreter with only `env` set."""
    clean = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "ent.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_no_replica_url_means_no_replica_no_router():
    result = probe(DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['default'] [] False"


def test_a_replica_url_adds_the_alias_router_and_middleware():
    result = probe(
        DJANGO_DEBUG="true",
        DATABASE_URL="postgres://ent@db:5432/ent",
        DATABASE_REPLICA_URL="postgres://ent@replica:5432/ent",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['default', 'replica'] ['ent.db_router.PrimaryReplicaRouter'] True"


def test_a_replica_of_another_kind_is_refused():
    result = probe(DJANGO_DEBUG="true", DATABASE_REPLICA_URL="postgres://ent@replica:5432/ent")
    assert result.returncode != 0 and "same kind of database" in result.stderr
