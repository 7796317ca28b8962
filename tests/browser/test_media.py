"""Resources in the browser: prof uploads an app straight to the object store with
a progress bar, the référent approves and assigns it, eleve finds it in
"Mes ressources". Real S3 server and real clamd; axe-core on each page."""

import copy
import re

import pytest
from playwright.sync_api import expect

from ent.files import ScanState
from media.models import Item
from tests.media.conftest import APKS, av, clamd_server  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("av")]


def test_prof_uploads_referent_approves_eleve_sees(
    browser,
    live_server,
    bworld,
    s3,
    session_login,
    assert_accessible,
    settings,
):
    w = bworld
    # The CSP lets pages reach the object store only: here, this test's S3 server.
    origin = f"http://{settings.S3_PUBLIC_ENDPOINT}"
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    for directive in ("connect-src", "media-src", "img-src"):
        policy["DIRECTIVES"][directive].append(origin)
    settings.CONTENT_SECURITY_POLICY = policy
    prof = browser.new_context(locale="fr-FR")
    session_login(prof, w.teacher)
    page = prof.new_page()
    page.goto(f"{live_server.url}/ressources/proposer/")
    assert_accessible(page, "propose page")
    page.select_option("select[name=kind]", "apk")
    page.fill("input[name=title]", "Appli de géométrie")
    page.fill("textarea[name=description]", "Pour les figures en 6e.")
    page.set_input_files("input[name=file]", str(APKS / "app-v1.apk"))
    page.locator("#propose-form button[type=submit]").click()
    # The progress bar shows while the browser sends the file to the store, and reaches 100 %.
    expect(page.locator("[data-upload-progress]")).to_be_visible()
    expect(page.locator("[data-upload-percent]")).to_have_text("100 %")
    page.wait_for_url(re.compile(r"/ressources/\d+/$"))
    item = Item.objects.get(title="Appli de géométrie")
    version = item.versions.get()
    assert version.apk_package == "org.ent.demo"
    assert version.scan == ScanState.OFFERED
    assert_accessible(page, "item page (author)")
    prof.close()

    referent = browser.new_context(locale="fr-FR")
    session_login(referent, w.referent)
    page = referent.new_page()
    page.goto(f"{live_server.url}/ressources/{item.id}/")
    assert_accessible(page, "item page (referent)")
    page.get_by_role("button", name="Approuver la version 1").click()
    page.wait_for_load_state()
    page.get_by_label(w.klass.name).check()
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Attribution enregistrée")
    referent.close()

    eleve = browser.new_context(locale="fr-FR")
    session_login(eleve, w.pupil)
    page = eleve.new_page()
    page.goto(f"{live_server.url}/ressources/")
    expect(page.get_by_role("heading", name=re.compile("Appli de géométrie"))).to_be_visible()
    expect(page.get_by_role("link", name="Ouvrir Appli de géométrie")).to_be_visible()
    assert_accessible(page, "Mes ressources")
    eleve.close()
