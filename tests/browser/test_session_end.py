"""A page left open on a shared computer stops showing the person's data when
they sign out everywhere from another device (issue 24 item 1, issue 25 item 3):
its socket is told, and the page loads again onto the login page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.asgi_server import asgi_server, django_db_modify_db_settings  # noqa: F401
from tests.browser.test_messaging import login, socket_open

pytestmark = pytest.mark.browser


def test_signing_out_everywhere_from_the_phone_clears_the_school_computer(browser, asgi_server, bworld):  # noqa: F811
    base = asgi_server.url
    school_ctx = browser.new_context(locale="fr-FR")
    phone_ctx = browser.new_context(locale="fr-FR")
    school, phone = school_ctx.new_page(), phone_ctx.new_page()
    login(school, base, bworld.guardian)
    login(phone, base, bworld.guardian)
    school.goto(f"{base}/absences/")
    socket_open(school)

    phone.goto(f"{base}/accounts/sessions/")
    expect(phone.locator("h1")).to_have_text("Mes appareils et sessions")
    expect(phone.locator("tbody tr")).to_have_count(2)
    phone.get_by_role("button", name="Me déconnecter partout, cet appareil compris").click()
    # Its own open page is told too (it may reload before the redirect lands).
    expect(phone).to_have_url(re.compile(r"/accounts/login/"), timeout=15_000)

    expect(school).to_have_url(f"{base}/accounts/login/?next=/absences/", timeout=10_000)
    school_ctx.close()
    phone_ctx.close()
