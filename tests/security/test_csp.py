"""The policy headers come from django-csp as shipped (csp.middleware.CSPMiddleware
in settings.MIDDLEWARE): no copy of its internals to keep in step with it."""

import pytest
from django.conf import settings as django_settings


def test_django_csp_middleware_is_the_one_in_use():
    assert "csp.middleware.CSPMiddleware" in django_settings.MIDDLEWARE
    assert not any(m.startswith("ent.csp") for m in django_settings.MIDDLEWARE)


def test_every_page_carries_the_configured_policy(client):
    response = client.get("/livez")
    policy = response.get("Content-Security-Policy", "")
    # /livez may be excluded by EXCLUDE_URL_PREFIXES: then take the sign-in page.
    if not policy:
        policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.django_db  # the login page lists the territory's identity providers
def test_a_changed_setting_is_followed(client, settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get("/accounts/login/")["Content-Security-Policy"] == "default-src 'none'"
