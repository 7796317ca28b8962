"""The installable app in Chromium: a valid manifest and no installability error
(DevTools' Page.getInstallabilityErrors), the worker registered, a page read
online shown offline with its banner, a form sent offline told it needs the
network, and signing out (or the session ending) emptying the kept pages."""

import re
from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGE_CACHES = "caches.keys().then(names => names.filter(n => n.startsWith('ent-pages-')))"


def controlled(page):
    """Wait until the worker is active and controls this page."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("Boolean(navigator.serviceWorker.controller)"):
        page.reload()
    page.wait_for_function("Boolean(navigator.serviceWorker.controller)")


def kept_paths(page):
    return page.evaluate(
        "caches.keys().then(names => Promise.all(names.filter(n => n.startsWith('ent-pages-'))"
        ".map(n => caches.open(n).then(c => c.keys())))).then(l => l.flat().map(r => new URL(r.url).pathname))"
    )


@pytest.fixture
def parent_page(browser, live_server, bworld, session_login):
    context = browser.new_context(locale="fr-FR")
    session_login(context, bworld.guardian)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    controlled(page)
    yield page, context
    context.close()


def test_installable_and_the_worker_registers(browser_type, browser_type_launch_args, live_server, bworld, tmp_path):
    # A normal profile: Playwright's new contexts are incognito ones, which Chromium
    # never installs ("in-incognito"), whatever the site does.
    context = browser_type.launch_persistent_context(
        str(tmp_path / "profile"), locale="fr-FR", **browser_type_launch_args
    )
    client = Client()
    client.force_login(bworld.guardian)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"{live_server.url}/")
    controlled(page)
    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == f"{live_server.url}/manifest.webmanifest"
    assert manifest["errors"] == []
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    assert page.evaluate("navigator.serviceWorker.getRegistration('/').then(r => r.scope)") == f"{live_server.url}/"
    context.close()


def test_a_page_read_online_is_shown_offline_with_its_banner(parent_page, live_server):
    page, context = parent_page
    page.goto(f"{live_server.url}/cahier/")
    heading = page.locator("h1").first.inner_text()
    page.wait_for_function(f"{PAGE_CACHES}.then(n => n.length === 1)")
    page.wait_for_function(
        "caches.keys().then(ns => Promise.all(ns.filter(n => n.startsWith('ent-pages-')).map(n => caches.open(n)"
        ".then(c => c.match('/cahier/'))))).then(l => l.some(Boolean))"
    )

    context.set_offline(True)
    page.goto(f"{live_server.url}/cahier/")
    banner = page.locator("[data-offline-banner]")
    expect(banner).to_have_text(re.compile(r"^Hors ligne — à jour de \d{1,2} h \d{2}$"))
    expect(page.locator("h1").first).to_have_text(heading)

    # A write made offline is not queued: it says it needs the network.
    page.locator("footer form.lang button[type=submit]").click()
    expect(page.locator("[data-needs-network]")).to_contain_text("Il faut le réseau pour cela : rien n'a été envoyé.")

    # A page never read online says so.
    page.goto(f"{live_server.url}/absences/")
    expect(page.locator("[data-needs-network]")).to_contain_text("pas été gardée pour la lecture hors ligne")
    context.set_offline(False)


def test_signing_out_clears_the_kept_pages(parent_page, live_server):
    page, _context = parent_page
    page.goto(f"{live_server.url}/cahier/")
    page.wait_for_function(f"{PAGE_CACHES}.then(n => n.length === 1)")
    assert "/cahier/" in kept_paths(page)

    with page.expect_response(lambda r: r.url.endswith("/accounts/logout/")) as logout:
        page.evaluate("document.querySelector('form[action=\"/accounts/logout/\"]').submit()")
    assert logout.value.all_headers().get("clear-site-data") == '"cache", "storage"'
    page.wait_for_load_state()
    page.wait_for_function(f"{PAGE_CACHES}.then(n => n.length === 0)")


def test_a_session_ended_elsewhere_drops_the_kept_pages(parent_page, live_server):
    page, context = parent_page
    page.goto(f"{live_server.url}/cahier/")
    page.wait_for_function(f"{PAGE_CACHES}.then(n => n.length === 1)")
    # "Sign out everywhere" from another device, or the session's expiry.
    [key] = [c["value"] for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME]
    import_module(settings.SESSION_ENGINE).SessionStore(session_key=key).delete()
    page.goto(f"{live_server.url}/cahier/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.wait_for_function(f"{PAGE_CACHES}.then(n => n.length === 0)")
