"""Directory management in a real browser: vie scolaire uploads a CSV with errors,
reads them by line and field, uploads the fixed file, applies it and sees the
progress bar at its end; axe-core finds nothing on any management or privacy page."""

import pytest
from playwright.sync_api import expect

from ent.directory.models import DataExport, ImportJob, LetterBatch, User
from tests.imports import samples

pytestmark = pytest.mark.browser

BAD_ROWS = [
    samples.SIECLE_ROWS[0],
    # Line 3: no first name, an impossible birth date.
    "MOREAU,,31/02/2013,0987654322Y,4E B,4EME,MOREAU,Anne,,0622222222,MERE",
    samples.SIECLE_ROWS[2],
]


def _upload(page, path):
    page.locator("input[name=kind][value=pupils]").check()
    page.locator("input[name=scope][value=classes]").check()
    page.locator("input[name=file]").set_input_files(str(path))
    page.locator("main form button.primary").click()
    page.wait_for_load_state()


def test_staff_fixes_a_csv_applies_it_and_every_page_is_accessible(
    browser, live_server, bworld, session_login, s3, assert_accessible, tmp_path
):
    staff = browser.new_context(locale="fr-FR")
    session_login(staff, bworld.vie_scolaire)
    page = staff.new_page()
    school = bworld.school

    # From the home page to the import form.
    page.goto(f"{live_server.url}/")
    assert_accessible(page, "the home page with the management links")
    page.get_by_role("link", name="Importer un fichier CSV").first.click()
    expect(page.locator("h1")).to_have_text("Importer un fichier CSV")
    assert_accessible(page, "the import form")

    bad = tmp_path / "eleves-siecle.csv"
    bad.write_bytes(samples.siecle(BAD_ROWS))
    _upload(page, bad)
    errors = page.locator("#import-errors")
    expect(errors).to_be_visible()
    line3 = errors.locator("tbody tr", has=page.locator("th", has_text="3"))
    expect(line3).to_have_count(2)
    expect(line3.nth(0)).to_contain_text("31/02/2013")
    expect(line3.nth(1)).to_contain_text("prénom")
    expect(page.get_by_role("button", name="Appliquer ces modifications")).to_have_count(0)
    assert not User.objects.filter(external_id="0987654321Z").exists()
    assert_accessible(page, "the preview with errors")

    fixed = tmp_path / "eleves-siecle-corrige.csv"
    fixed.write_bytes(samples.siecle())
    page.get_by_role("link", name="Déposer le fichier corrigé").click()
    _upload(page, fixed)
    expect(page.locator(".no-errors")).to_be_visible()
    assert_accessible(page, "the clean preview")
    page.get_by_role("button", name="Appliquer ces modifications").click()
    page.wait_for_load_state()

    # Celery runs eagerly here: the bar is already at its end when the page shows.
    bar = page.locator("progress#import-bar")
    expect(bar).to_have_attribute("value", "100")
    expect(page.locator("#import-count")).to_contain_text("3")
    expect(page.locator("#import-status")).to_have_text("appliqué")
    job = ImportJob.objects.filter(school=school).latest("created_at")
    assert job.status == ImportJob.Status.APPLIED
    created = str(job.summary["created"])
    expect(page.locator("#import-summary li").first).to_contain_text(created)
    assert User.objects.filter(external_id="0987654321Z").exists()
    assert_accessible(page, "the import result")

    # The whole school's letters: prepared by a task, then offered for download.
    page.goto(f"{live_server.url}/annuaire/gestion/ecoles/{school.id}/lettres/")
    assert_accessible(page, "the letters form")
    page.get_by_label("Classe").select_option(index=0)
    page.get_by_role("button", name="Créer le PDF").click()
    page.wait_for_load_state()
    expect(page.locator("#letter-batches")).to_contain_text("prêt")
    expect(page.get_by_role("link", name="Télécharger le PDF")).to_be_visible()
    assert LetterBatch.objects.get(school=school).status == LetterBatch.Status.READY
    assert_accessible(page, "the letters page with the school's PDF")

    for path, what in (
        (f"/annuaire/gestion/ecoles/{school.id}/comptes/", "the accounts page"),
        (f"/annuaire/gestion/ecoles/{school.id}/annee/", "the rollover preview"),
        (f"/annuaire/gestion/ecoles/{school.id}/", "the school management page"),
        (f"/annuaire/ecoles/{school.id}/", "the school page with its management links"),
        ("/confidentialite/", "the privacy page"),
    ):
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page, what)
    staff.close()


def test_a_family_reaches_and_uses_the_export_page(browser, live_server, bworld, session_login, s3, assert_accessible):
    family = browser.new_context(locale="fr-FR")
    session_login(family, bworld.guardian)
    page = family.new_page()
    page.goto(f"{live_server.url}/confidentialite/")
    page.get_by_role("link", name="Télécharger mes données").click()
    expect(page.locator("h1")).to_have_text("Télécharger mes données")
    assert_accessible(page, "the export page")
    page.get_by_role("button", name="Préparer mes données").click()
    page.wait_for_load_state()
    expect(page.get_by_role("link", name="Télécharger", exact=True)).to_be_visible()
    assert DataExport.objects.get(user=bworld.guardian).status == DataExport.Status.READY
    assert_accessible(page, "the export page with a ready file")
    # The account area links to it too.
    page.goto(f"{live_server.url}/accounts/password/change/")
    page.get_by_role("link", name="Mes données").click()
    expect(page.locator("h1")).to_have_text("Télécharger mes données")
    family.close()
