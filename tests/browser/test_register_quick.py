"""The register taken in thirty seconds (issue #21, item 4), measured in Chromium at 360 px:
a 25-pupil register with 2 absent and 1 late by the keyboard only (key presses counted),
the page's height, the sticky bar covering no row, and the same register without JavaScript.

The figures are printed (run with -s): `register: N key presses, H px at 360 px`."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from absences import actions
from absences.models import AbsenceEvent, Register
from tests.factories import make_class, make_pupil, teach

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
PUPILS = 25
# The issue asks for two phone screens (1,480 px): 25 rows of 44×40 px touch targets are 1,000 px, the
# site's own header and footer ~200 px, the title, the bar and the help the rest (5,267 px at first,
# then 1,543 px with 44 px rows).
MAX_HEIGHT = 2 * PHONE["height"]


@pytest.fixture
def register25(bworld):
    klass = make_class(bworld.school, name="5e B")
    teach(bworld.teacher, klass=klass)
    pupils = [make_pupil(klass, first_name=f"Prénom{i:02d}", last_name=f"Nom{i:02d}") for i in range(1, PUPILS + 1)]
    register = actions.do_open_register(
        bworld.teacher, target=klass, day=timezone.localdate(), starts_at=dt.time(9), ends_at=dt.time(9, 55)
    )
    return register, pupils


def _open(page, live_server, bworld, session_login, register):
    session_login(page.context, bworld.teacher)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/absences/appel/{register.id}/")


def _height(page):
    return page.evaluate("document.documentElement.scrollHeight")


def _marks():
    return {(e.pupil.last_name, e.kind, e.minutes) for e in AbsenceEvent.objects.select_related("pupil")}


EXPECTED = {("Nom04", "absence", None), ("Nom13", "absence", None), ("Nom21", "late", 5)}


def test_keyboard_only_register_of_25_in_at_most_12_presses(page, live_server, bworld, session_login, register25):
    register, _pupils = register25
    _open(page, live_server, bworld, session_login, register)
    height = _height(page)
    presses = []

    def press(key):
        presses.append(key)
        page.keyboard.press(key)

    # Pupil 4 absent, pupil 13 absent, pupil 21 late by 5 minutes, then Enter: "Appel terminé".
    for key in ["4", "a", "1", "3", "a", "2", "1", "r", "5", "Enter"]:
        press(key)
    page.wait_for_url("**/absences/appel/*/")
    expect(page.locator(".messages")).to_contain_text("Appel terminé")
    print(f"\nregister: {len(presses)} key presses, {height} px at 360 px (limit {2 * PHONE['height']})")
    assert len(presses) <= 12
    assert height <= MAX_HEIGHT, height
    register.refresh_from_db()
    assert register.state == Register.State.DONE
    assert _marks() == EXPECTED
    # The summary names each absent and late pupil.
    summary = page.locator(".register-summary")
    for name in ("Nom04 Prénom04", "Nom13 Prénom13", "Nom21 Prénom21 — 5 min"):
        expect(summary).to_contain_text(name)
    expect(page.locator("#register-count")).to_have_text("22 présents, 2 absents, 1 en retard", use_inner_text=True)


def test_arrows_and_letters_and_the_live_count(page, live_server, bworld, session_login, register25):
    register, _pupils = register25
    _open(page, live_server, bworld, session_login, register)
    count = page.locator("#register-count")
    expect(count).to_have_text("25 présents", use_inner_text=True)
    page.keyboard.press("j")  # the first pupil
    page.keyboard.press("ArrowDown")
    page.keyboard.press("d")  # pupil 2 left early, the focus goes on to pupil 3
    expect(count).to_have_text("24 présents, 1 parti plus tôt", use_inner_text=True)
    page.keyboard.press("k")
    page.keyboard.press("p")  # pupil 2 present again
    expect(count).to_have_text("25 présents", use_inner_text=True)
    focused = page.evaluate("document.activeElement.closest('.pupil-row').dataset.number")
    assert focused == "3"
    # Each button is named with its pupil.
    expect(page.get_by_role("radio", name="A : absent — Nom07 Prénom07")).to_have_count(1)


def test_the_sticky_bar_covers_no_row(page, live_server, bworld, session_login, register25):
    register, _pupils = register25
    _open(page, live_server, bworld, session_login, register)
    covered = []
    for number in range(1, PUPILS + 1):
        # By the keyboard (j) for the script's moves, and by Tab for the browser's own focus scrolling.
        page.keyboard.press("j")
        box = page.evaluate(
            """() => { const bar = document.getElementById('register-bar').getBoundingClientRect();
                       const row = document.activeElement.closest('.pupil-row').getBoundingClientRect();
                       return [row.top, bar.bottom, row.bottom, window.innerHeight]; }"""
        )
        if box[0] < box[1] - 0.5 or box[2] > box[3] + 0.5:
            covered.append((number, box))
    assert not covered, covered
    # Tabbing back through the rows (the browser scrolls, not the script): the same.
    for _ in range(PUPILS - 1):
        page.keyboard.press("Shift+Tab")
        top, bar = page.evaluate(
            """() => [document.activeElement.closest('.pupil-row').getBoundingClientRect().top,
                      document.getElementById('register-bar').getBoundingClientRect().bottom]"""
        )
        assert top >= bar - 0.5, (top, bar)


def test_without_javascript_by_taps(browser, live_server, bworld, session_login, register25):
    register, _pupils = register25
    context = browser.new_context(locale="fr-FR", java_script_enabled=False, viewport=PHONE, has_touch=True)
    session_login(context, bworld.teacher)
    page = context.new_page()
    page.goto(f"{live_server.url}/absences/appel/{register.id}/")
    height = _height(page)
    taps = 0
    for name in ("A : absent — Nom04 Prénom04", "A : absent — Nom13 Prénom13", "R : en retard — Nom21 Prénom21"):
        page.locator("label.mark", has_text=name).click()
        taps += 1
    minutes = page.get_by_label("Minutes de retard — Nom21 Prénom21")
    expect(minutes).to_be_visible()  # shown by CSS alone once "late" is chosen
    minutes.fill("5")
    taps += 2  # the box, and one digit
    page.locator(".register-bar button[name=finish]").click()
    taps += 1
    print(f"\nregister without JavaScript: {taps} taps, {height} px at 360 px")
    assert height <= MAX_HEIGHT, height
    assert taps <= 12
    expect(page.locator(".register-summary")).to_contain_text("Nom21 Prénom21 — 5 min")
    assert _marks() == EXPECTED
    context.close()


def test_register_page_is_accessible(page, live_server, bworld, session_login, register25, assert_accessible):
    register, _pupils = register25
    _open(page, live_server, bworld, session_login, register)
    assert_accessible(page, "the register")
    page.keyboard.press("2")
    page.keyboard.press("r")
    assert_accessible(page, "the register with a late pupil")


def test_register_fits_a_small_phone(page, live_server, bworld, session_login, register25):
    """Nothing scrolls sideways at 360 or 320 px, a late pupil's minutes box open (the phone walk of
    tests/browser/test_phone_layout.py checks the same on every page)."""
    register, _pupils = register25
    _open(page, live_server, bworld, session_login, register)
    page.keyboard.press("3")
    page.keyboard.press("r")
    for width in (360, 320):
        page.set_viewport_size({"width": width, "height": PHONE["height"]})
        scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, (width, scroll, inner)
        # The rows were made shorter to fit two screens, the buttons stay well above WCAG's 24 px.
        smallest = page.evaluate(
            """() => Array.from(document.querySelectorAll('label.mark'), l => l.getBoundingClientRect())
                          .reduce((m, b) => Math.min(m, b.width, b.height), Infinity)"""
        )
        assert smallest >= 40, (width, smallest)
