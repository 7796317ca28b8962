"""Hardening: deploy checks, security headers on every page, CSRF on every
state-changing route, sessions ended at logout and password change."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD
from tests.security.matrix import LOGIN, MATRIX

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_with_production_settings_reports_nothing():
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "ent.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "a-long-random-production-secret-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c",
        "ALLOWED_HOSTS": "ent.example.org",
        "BEHIND_TLS_PROXY": "true",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def _allowed_persona(route):
    for persona, want in route.expected.items():
        if persona != "anonymous" and want == 200:
            return persona
    return None


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n, r in MATRIX.items() if r.method == "get"))
def test_security_headers_on_every_page(name, world, client, login_as):
    route = MATRIX[name]
    persona = _allowed_persona(route)
    if persona:
        login_as(world.personas()[persona])
    response = client.get(reverse(name, kwargs=route.kwargs(world)), secure=True)
    csp = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_hsts_sent_over_https(client, settings, world):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get(reverse("account_login"), secure=True)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


# Called server to server by an IdP, with a signed logout token instead of a
# browser's cookies: CSRF does not apply (ent/identity/backchannel.py).
CSRF_EXEMPT = {
    "identity_backchannel_logout",
    # Bearer tokens only, never the session's cookies (a browser cannot be made to
    # send one): a signed-in browser gets 401 (ent/api/views/sockets.py).
    "api-v1:ws_ticket",
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n, r in MATRIX.items() if r.method == "post" and n not in CSRF_EXEMPT))
def test_csrf_required_on_every_state_changing_route(name, world, login_as):
    route = MATRIX[name]
    persona = next((p for p, w in route.expected.items() if p != "anonymous" and w not in (404, 403, LOGIN)), None)
    csrf_client = Client(enforce_csrf_checks=True)
    if persona:
        login_as(world.personas()[persona], the_client=csrf_client)
    response = csrf_client.post(reverse(name, kwargs=route.kwargs(world)), route.data(world), **route.extra)
    assert response.status_code == 403


@pytest.mark.django_db
def test_session_ends_at_logout(client, world):
    assert client.post("/accounts/login/", {"login": "parent_t", "password": PASSWORD}).status_code == 302
    key = client.session.session_key
    client.post(reverse("account_logout"))
    from django.contrib.sessions.backends.db import SessionStore

    assert not SessionStore().exists(key)
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_password_change_ends_other_sessions(world):
    phone, laptop = Client(), Client()
    for c in (phone, laptop):
        assert c.post("/accounts/login/", {"login": "parent_t", "password": PASSWORD}).status_code == 302
    new = "another-strong-passphrase-77"
    response = laptop.post(
        reverse("account_change_password"), {"oldpassword": PASSWORD, "password1": new, "password2": new}
    )
    assert response.status_code == 302
    assert laptop.get(reverse("home")).status_code == 200  # the session that changed it stays
    response = phone.get(reverse("home"))
    assert response.status_code == 302 and "/accounts/login/" in response.url
