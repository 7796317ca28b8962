"""The UI shell in a real browser: login, child switch, language switch, accessibility (axe-core),
keyboard use, small screens."""

import re

import pytest
from playwright.sync_api import expect

from tests.totp import totp_now

pytestmark = pytest.mark.browser

PERSONAS = ["pupil", "guardian", "teacher", "vie_scolaire", "direction", "referent", "admin"]


def test_parent_logs_in_switches_child_and_language_without_javascript(browser, live_server, bworld, login_form):
    # Everything here is plain links and forms: it must work with JavaScript off.
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    login_form(page, bworld.guardian)
    assert page.url == f"{live_server.url}/"
    expect(page.locator("h1")).to_have_text("Bonjour Sophie")

    # Children are offered by first name; the first one is shown.
    children = page.get_by_role("navigation", name="Mes enfants")
    expect(children.locator("button[aria-current=true]")).to_have_text("Hugo")
    child = page.locator("#child-title")
    expect(child).to_have_text("Mon enfant : Hugo Martin")
    expect(page.locator("main")).to_contain_text("École B")

    children.get_by_role("button", name="Léa").click()
    expect(child).to_have_text("Mon enfant : Léa Martin")
    expect(page.locator("main")).to_contain_text("6e A")
    expect(page.locator("main")).to_contain_text("Collège Test")
    expect(children.locator("button[aria-current=true]")).to_have_text("Léa")

    page.get_by_label("Langue").select_option("en")
    page.locator("footer form.lang button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Hello Sophie")
    expect(child).to_have_text("My child: Léa Martin")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    context.close()


@pytest.mark.parametrize("path", ["/accounts/login/", "/activation/", "/accounts/password/reset/"])
def test_public_pages_are_accessible(page, live_server, transactional_db, assert_accessible, path):
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 200
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")  # CSS loaded
    assert page.locator("a[href*='signup']").count() == 0  # sign-up is closed
    assert_accessible(page, path)


def test_login_page_leads_to_activation(page, live_server, transactional_db):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Première connexion ? J'ai reçu un code").click()
    assert page.url == f"{live_server.url}/activation/"
    expect(page.locator("h1")).to_have_text("Activer mon compte")


@pytest.mark.parametrize("persona", PERSONAS)
def test_home_of_every_persona_is_accessible(page, live_server, bworld, session_login, assert_accessible, persona):
    session_login(page.context, getattr(bworld, persona))
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/"
    expect(page.locator("h1")).to_contain_text("Bonjour")
    assert page.locator("#not-linked").count() == 0
    assert_accessible(page, f"home of {persona}")


def test_account_and_error_pages_are_accessible(page, live_server, bworld, session_login, assert_accessible):
    session_login(page.context, bworld.direction)
    for path in ["/accounts/password/change/", "/accounts/2fa/", "/accounts/logout/"]:
        assert page.goto(f"{live_server.url}{path}").status == 200
        assert_accessible(page, path)
    response = page.goto(f"{live_server.url}/annuaire/classes/999999/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page introuvable")
    assert_accessible(page, "the 404 page")


def test_staff_sets_up_and_uses_two_step_verification(
    page, live_server, bworld, login_form, assert_accessible, settings
):
    # A code computed just before a 30 s boundary must still pass when it reaches the server.
    settings.MFA_TOTP_TOLERANCE = 1
    login_form(page, bworld.direction)
    # Staff cannot go anywhere before setting up an authenticator app; right after logging in
    # they are not asked for the password they just typed (ent/directory/adapter.py).
    assert page.url == f"{live_server.url}/accounts/2fa/totp/activate/"
    assert_accessible(page, "TOTP activation")
    secret = page.locator("#authenticator_secret").input_value()
    page.fill("input[name=code]", totp_now(secret))
    page.locator("main form button[type=submit]").click()

    assert page.url == f"{live_server.url}/accounts/2fa/recovery-codes/", page.locator("main").inner_text()
    assert_accessible(page, "recovery codes")
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) >= 1

    page.get_by_role("button", name="Se déconnecter").click()
    login_form(page, bworld.direction)
    assert page.url == f"{live_server.url}/accounts/2fa/authenticate/"
    assert_accessible(page, "two-step verification at login")
    page.fill("input[name=code]", codes[0])
    page.locator("main form button.primary").click()
    assert page.url == f"{live_server.url}/"
    expect(page.locator("#school-title")).to_have_text("Mon établissement")


@pytest.mark.parametrize("path", ["/accounts/login/", "/"])
def test_skip_link_is_the_first_tab_stop(page, live_server, bworld, session_login, path):
    if path == "/":
        session_login(page.context, bworld.guardian)
    page.goto(f"{live_server.url}{path}")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.getAttribute('href')]")
    assert focused == ["skip-link", "#main"]
    expect(page.locator(".skip-link")).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # The next Tab goes into the page content, not back to the menu.
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")


@pytest.mark.parametrize("width", [320, 1280])
def test_parent_home_fits_the_screen(page, live_server, bworld, session_login, assert_accessible, width):
    page.set_viewport_size({"width": width, "height": 900})
    session_login(page.context, bworld.guardian)
    page.goto(f"{live_server.url}/")
    # Nothing sticks out sideways: no horizontal scrolling on a small phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for box in page.locator("button, a, select").all():
        if box.is_visible():
            assert box.bounding_box()["x"] + box.bounding_box()["width"] <= width + 1
    page.screenshot(path=f"/tmp/ent-parent-home-{width}.png", full_page=True)
    assert_accessible(page, f"parent home at {width} px")


def test_focus_is_visible(page, live_server, transactional_db):
    page.goto(f"{live_server.url}/accounts/login/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the first control after the skip link
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    assert re.match(r"\d", page.evaluate("getComputedStyle(document.activeElement).outlineWidth"))
