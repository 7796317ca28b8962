"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Run on their own (a sync Playwright test leaves an event loop behind that breaks pytest-asyncio):
    DJANGO_ALLOW_ASYNC_UNSAFE=true .venv/bin/pytest -m browser -p no:asyncio tests/browser
"""

import pytest
from django.conf import settings
from django.test import Client

from tests.browser.asgi_server import asgi_server, django_db_modify_db_settings  # noqa: F401
from tests.factories import PASSWORD, build_world


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # `playwright install` cannot download here: use the distribution's Chromium.
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Families' browsers ask for French; the live server must not fall back to the browser's en-US.
    return {**browser_context_args, "locale": "fr-FR"}


@pytest.fixture
def bworld(transactional_db):
    """The personas, committed so that the live server's thread sees them."""
    return build_world()


@pytest.fixture
def login_form(live_server):
    """Log in through the real login form."""

    def _login(page, user, password=PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=login]", user.username)
        page.fill("input[name=password]", password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()

    return _login


@pytest.fixture
def session_login(live_server):
    """Give the browser a session made on the server side. Staff are marked as having passed MFA,
    as the conftest's `login_as` does: only the MFA tests are about MFA."""

    def _login(context, user, *, mfa_done=True):
        client = Client()
        client.force_login(user)
        if mfa_done:
            session = client.session
            session["ent_mfa_ok"] = True
            session.save()
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    return _login


def format_violations(results):
    lines = []
    for violation in results.response["violations"]:
        targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} → {targets}")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def assert_accessible(axe):
    def _check(page, what):
        results = axe.run(page)
        assert results.violations_count == 0, f"axe-core on {what} ({page.url}):\n{format_violations(results)}"

    return _check
