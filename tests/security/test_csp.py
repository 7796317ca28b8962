"""The policy headers built once per process (ent/csp.py) are the ones
django-csp builds for each response, and follow the settings."""

import pytest
from csp.constants import NONCE
from csp.decorators import csp_exempt, csp_update
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from ent.csp import CSPMiddleware

POLICY = {"DIRECTIVES": {"default-src": ["'self'"], "img-src": ["'self'", "data:"]}}


def _both(view, path="/"):
    """The headers of one response through ours and through django-csp's."""
    out = []
    for cls in (CSPMiddleware, DjangoCSPMiddleware):
        request = RequestFactory().get(path)
        out.append(dict(cls(view)(request).headers))
    return out


def _plain(request):
    return HttpResponse("ok")


def test_the_same_headers_as_django_csp(settings):
    settings.CONTENT_SECURITY_POLICY = POLICY
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"script-src": ["'self'"]}}
    ours, theirs = _both(_plain)
    assert ours == theirs
    assert sorted(ours["Content-Security-Policy"].split("; ")) == ["default-src 'self'", "img-src 'self' data:"]
    assert "script-src 'self'" in ours["Content-Security-Policy-Report-Only"]


def test_a_changed_setting_is_followed(settings):
    settings.CONTENT_SECURITY_POLICY = POLICY
    assert "img-src 'self' data:" in _both(_plain)[0]["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    ours, theirs = _both(_plain)
    assert ours == theirs and ours["Content-Security-Policy"] == "default-src 'none'"


@pytest.mark.parametrize(
    "view",
    [
        csp_update({"img-src": "https://example.org"})(_plain),
        csp_exempt()(_plain),
    ],
    ids=["per-view update", "exempt"],
)
def test_per_view_policies_and_exemptions_as_django_csp(settings, view):
    settings.CONTENT_SECURITY_POLICY = POLICY
    ours, theirs = _both(view)
    assert ours == theirs


def test_excluded_prefixes_get_no_header(settings):
    settings.CONTENT_SECURITY_POLICY = {**POLICY, "EXCLUDE_URL_PREFIXES": ["/livez"]}
    ours, theirs = _both(_plain, path="/livez")
    assert ours == theirs and "Content-Security-Policy" not in ours


def test_a_nonce_is_built_per_response(settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": ["'self'", NONCE]}}

    def with_nonce(request):
        return HttpResponse(str(request.csp_nonce))

    seen = set()
    for _ in range(2):
        request = RequestFactory().get("/")
        response = CSPMiddleware(with_nonce)(request)
        nonce = response.content.decode()
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        seen.add(nonce)
    assert len(seen) == 2
