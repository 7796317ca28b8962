"""XSS in a real browser: every payload typed where others will read it, then
every page that shows it opened in Chromium. The page's Content-Security-Policy
is bypassed on purpose, so the test proves the escaping and sanitizing alone;
the CSP is a second wall, tested in tests/security/test_hardening.py."""

import pytest

from tests.security.xss_payloads import PAYLOADS
from tests.security.xss_surfaces import SURFACES

pytestmark = pytest.mark.browser

HOOK = "window.__xss = 0; window.xss = function () { window.__xss += 1; };"


def _executions(context, url):
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)  # let onerror/onload/ontoggle handlers fire
    # Tab through the page: onfocus vectors need focus.
    for _ in range(15):
        page.keyboard.press("Tab")
    count = page.evaluate("window.__xss || 0") + len(dialogs)
    page.close()
    return count


@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_no_payload_executes(surface, bworld, live_server, browser, session_login, request):
    if surface == "csv_import_names":
        request.getfixturevalue("s3")  # the import stores the file in the object store
    inject = SURFACES[surface]
    pages = inject(bworld, PAYLOADS)
    assert pages, "the surface showed nothing"
    executed = {}
    for viewer, path in pages:
        context = browser.new_context(bypass_csp=True, locale="fr-FR")
        context.add_init_script(HOOK)
        session_login(context, viewer)
        count = _executions(context, live_server.url + path)
        context.close()
        if count:
            executed[(viewer.username, path)] = count
    assert not executed, f"{surface}: payloads executed: {executed}"


def test_payload_count():
    assert len(PAYLOADS) >= 100


def test_the_detector_sees_an_unescaped_payload(browser):
    """Control: the same detector counts a payload that does run."""
    context = browser.new_context()
    context.add_init_script(HOOK)
    page = context.new_page()
    page.on("dialog", lambda d: d.dismiss())
    page.set_content("<p><img src=x onerror=xss()><svg onload=xss()></svg></p>")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__xss") == 2
    context.close()
