"""Every page of every persona on a phone (issue #22): on 360×740 the header (name, menu, child switch)
takes at most 148 px (20 %), nothing scrolls sideways at 360 or 320 px, axe-core finds nothing, and
only the current page's menu link carries aria-current.

The pages are those the access matrix (tests/security/matrix.py) gives each persona with a 200 on a
GET, so a new page is walked the day its matrix entry lands."""

import datetime as dt
import os

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import format_violations
from tests.browser.test_shell import PERSONAS
from tests.security.matrix import MATRIX

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
SMALL_PHONE = {"width": 320, "height": 740}
HEADER_MAX = 148  # 20 % of 740 px
SHOTS = os.environ.get("ENT_PHONE_SCREENSHOTS")  # a folder: keep a 360 px picture of every page

# What a page's layout must be, measured in the page itself.
MEASURE = """() => ({
    header: (document.querySelector('.site-header') || {getBoundingClientRect: () => ({height: 0})})
        .getBoundingClientRect().height,
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
    current: document.querySelectorAll('[aria-current="page"]').length,
    mainTop: document.getElementById('main').getBoundingClientRect().top,
    wide: Array.from(document.querySelectorAll('body *'))
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('.table-wrap, .scroll'))
        .slice(0, 3).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')),
})"""


# Pages that are not the site's: the API's interactive docs (django-ninja's Swagger UI, for
# developers at a desk, not families on a phone) have no site header to measure.
NOT_SITE_PAGES = {"api-v1:openapi-view"}


def pages_of(page, base, world, persona):
    """(route name, path) of every page the persona may open, from the access matrix. JSON, iCal,
    files and HTML fragments (a message as live.js fetches it: no document around it) are not pages
    to lay out: asked first with the browser's cookies, they are left out."""
    for name, route in sorted(MATRIX.items()):
        if route.method == "get" and route.expected.get(persona) == 200 and name not in NOT_SITE_PAGES:
            path = reverse(name, kwargs=route.kwargs(world))
            answer = page.request.get(f"{base}{path}", max_redirects=0)
            if answer.status == 200 and "text/html" in answer.headers.get("content-type", ""):
                if answer.text().lstrip().lower().startswith("<!doctype html"):
                    yield name, path


def _check(page, what, *, header=True):
    m = page.evaluate(MEASURE)
    problems = []
    if header and m["header"] > HEADER_MAX:
        problems.append(f"header {m['header']:.0f} px > {HEADER_MAX}")
    if m["scrollWidth"] > m["innerWidth"]:
        problems.append(f"scrolls sideways ({m['scrollWidth']} > {m['innerWidth']}: {m['wide']})")
    if m["current"] > 1:
        problems.append(f"{m['current']} links carry aria-current=page")
    return [f"{what}: {p}" for p in problems]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_fits_a_phone(browser, live_server, bworld, session_login, axe, persona):
    context = browser.new_context(locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    session_login(context, getattr(bworld, persona))
    problems = []
    walked = 0
    for name, path in pages_of(page, live_server.url, bworld, persona):
        page.set_viewport_size(PHONE)
        page.goto(f"{live_server.url}{path}")
        walked += 1
        what = f"{name} ({path})"
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/{persona}-{name.replace(':', '-')}.png")
        problems += _check(page, f"{what} at 360 px")
        results = axe.run(page)
        if results.violations_count:
            problems.append(f"{what}: axe-core\n{format_violations(results)}")
        page.set_viewport_size(SMALL_PHONE)
        problems += _check(page, f"{what} at 320 px", header=False)
    context.close()
    assert walked >= 5, f"only {walked} pages walked for {persona}"
    assert not problems, f"{persona}, {walked} pages:\n" + "\n".join(problems)


def test_the_menu_opens_without_javascript_and_the_page_starts_on_the_first_screen(
    browser, live_server, bworld, session_login
):
    context = browser.new_context(locale="fr-FR", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    session_login(context, bworld.guardian)
    page.goto(f"{live_server.url}/")
    menu = page.get_by_role("navigation", name="Menu principal")
    expect(menu).to_be_hidden()
    # The child switch is one tap, without opening anything.
    children = page.get_by_role("navigation", name="Mes enfants")
    expect(children.get_by_role("button", name="Léa")).to_be_visible()
    assert page.locator("main h1").bounding_box()["y"] < HEADER_MAX + 40

    page.locator(".menu > summary").click()
    expect(menu).to_be_visible()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    menu.get_by_role("link", name="Absences").click()
    page.wait_for_url(f"{live_server.url}/absences/")
    expect(page.locator("h1")).to_have_text("Absences")
    expect(page.get_by_role("navigation", name="Menu principal")).to_be_hidden()
    context.close()


def test_on_a_wide_screen_the_menu_is_always_shown(page, live_server, bworld, session_login):
    page.set_viewport_size({"width": 1280, "height": 800})
    session_login(page.context, bworld.guardian)
    page.goto(f"{live_server.url}/")
    menu = page.get_by_role("navigation", name="Menu principal")
    expect(menu.get_by_role("link", name="Absences")).to_be_visible()
    expect(page.locator(".menu > summary")).to_be_hidden()
    expect(page.get_by_role("link", name="Mon compte")).to_be_visible()
    assert page.locator(".site-header").bounding_box()["height"] <= HEADER_MAX
    page.screenshot(path="/tmp/ent-header-1280.png")


def test_at_200_percent_zoom_nothing_scrolls_sideways(browser, live_server, bworld, session_login):
    # A 1280×800 screen at 200 % zoom lays pages out in 640×400 CSS pixels.
    context = browser.new_context(locale="fr-FR", viewport={"width": 640, "height": 400}, device_scale_factor=2)
    page = context.new_page()
    session_login(context, bworld.guardian)
    problems = []
    for name, path in pages_of(page, live_server.url, bworld, "guardian"):
        page.goto(f"{live_server.url}{path}")
        problems += _check(page, f"{name} ({path})", header=False)
    context.close()
    assert not problems, "\n".join(problems)


def _absences_today(world, kinds):
    from absences import actions

    for hour, kind in kinds:
        register = actions.do_open_register(
            world.teacher,
            target=world.klass,
            day=timezone.localdate(),
            starts_at=dt.time(hour),
            ends_at=dt.time(hour, 55),
        )
        actions.do_save_register(
            world.teacher, register, {world.pupil.id: (kind, 5 if kind == "late" else None)}, finish=True
        )


def test_a_parent_sees_the_absence_list_on_the_first_screen(browser, live_server, bworld, session_login):
    _absences_today(bworld, [(8, "absence"), (14, "absence"), (10, "late")])
    context = browser.new_context(locale="fr-FR", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    session_login(context, bworld.guardian)
    page.goto(f"{live_server.url}/absences/")
    page.get_by_role("navigation", name="Mes enfants").get_by_role("button", name="Léa").click()
    expect(page.locator("#child-title")).to_contain_text("Léa")
    first_row = page.locator("table.events tbody tr").first
    box = first_row.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], f"the first absence ends at {box['y'] + box['height']:.0f} px"
    # The totals are one line; their six figures open on a tap, without JavaScript.
    summary = page.locator(".totals-box > summary")
    expect(summary).to_contain_text("2 demi-journées d’absence · 1 retard")
    expect(page.locator("dl.totals")).to_be_hidden()
    summary.click()
    expect(page.locator("dl.totals")).to_be_visible()
    expect(page.locator("dl.totals")).to_contain_text("Retards")
    context.close()


@pytest.mark.parametrize("viewport", [SMALL_PHONE, PHONE])
def test_notification_settings_are_readable_on_a_phone(browser, live_server, bworld, session_login, viewport):
    context = browser.new_context(locale="fr-FR", viewport=viewport)
    page = context.new_page()
    session_login(context, bworld.guardian)
    page.goto(f"{live_server.url}/notifications/preferences/")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= viewport["width"]
    menus = page.locator("main select")
    assert menus.count() >= 3
    for menu in menus.all():
        # The whole width of the phone, not 56 px showing "ré".
        assert menu.bounding_box()["width"] >= viewport["width"] - 80
    # No mobile number: no SMS box to tick, and the page says why.
    assert page.locator("input[name$='__sms']").count() == 0
    expect(page.locator("#no-sms")).to_be_visible()
    expect(page.get_by_role("group", name="Ne pas me déranger")).to_contain_text("de")
    expect(page.locator("main")).not_to_contain_text("heures calmes")
    context.close()


@pytest.mark.parametrize(("viewport", "most"), [({"width": 1280, "height": 800}, 12), (PHONE, 5)])
def test_the_header_costs_no_more_key_presses(page, live_server, bworld, session_login, viewport, most):
    """Tab stops before the page's content, for a parent of two: on a wide screen the skip link, the
    brand, six menu links, two account links and two children (as many as before the phone shell);
    on a phone the skip link, the brand, the menu button and the two children."""
    page.set_viewport_size(viewport)
    session_login(page.context, bworld.guardian)
    page.goto(f"{live_server.url}/")
    stops = 0
    page.keyboard.press("Tab")
    while not page.evaluate("document.getElementById('main').contains(document.activeElement)") and stops < 30:
        stops += 1
        page.keyboard.press("Tab")
    assert stops <= most, f"{stops} Tab stops before the content"
