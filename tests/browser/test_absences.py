"""Absences in a real browser: a parent declares with a medical note, vie scolaire
validates it, the parent sees it justified; a teacher takes a register with the
keyboard only; axe-core finds nothing on any absences page."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from absences import actions
from absences.models import AbsenceEvent, AbsenceNotice, Register
from tests.absences.conftest import make_reasons

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _absent_today(world, hour=9):
    register = actions.do_open_register(
        world.teacher, target=world.klass, day=timezone.localdate(), starts_at=dt.time(hour), ends_at=dt.time(hour, 55)
    )
    actions.do_save_register(world.teacher, register, {world.pupil.id: ("absence", None)}, finish=True)
    return register


def test_parent_declares_with_a_note_cpe_validates_parent_sees_justified(
    browser, live_server, bworld, session_login, s3, assert_accessible, tmp_path
):
    make_reasons(bworld.school)
    _absent_today(bworld)
    parent = browser.new_context(locale="fr-FR")
    session_login(parent, bworld.guardian)
    page = parent.new_page()
    page.goto(f"{live_server.url}/absences/eleves/{bworld.pupil.id}/")
    expect(page.locator("main")).to_contain_text("Absence à expliquer")
    page.get_by_role("link", name="Déclarer une absence").click()
    assert_accessible(page, "the declaration form")
    today = timezone.localdate().isoformat()
    page.get_by_label("Premier jour d’absence").fill(today)
    page.get_by_label("Dernier jour d’absence").fill(today)
    page.get_by_label("Motif").select_option(label="Maladie")
    page.get_by_label("Commentaire (facultatif)").fill("Fièvre depuis hier soir.")
    note = tmp_path / "certificat.pdf"
    note.write_bytes(PDF)
    page.locator("input#id_document").set_input_files(str(note))
    page.get_by_role("button", name="Envoyer la déclaration").click()
    expect(page.locator("#notice-state")).to_have_text("En attente de l’école")
    notice = AbsenceNotice.objects.get()
    assert s3.stat(notice.document_key) is not None
    assert_accessible(page, "the notice, pending")

    cpe = browser.new_context(locale="fr-FR")
    session_login(cpe, bworld.vie_scolaire)
    office = cpe.new_page()
    office.goto(f"{live_server.url}/absences/")
    assert_accessible(office, "the day dashboard")
    office.get_by_role("link", name="Martin Léa").first.click()
    assert_accessible(office, "the notice for vie scolaire")
    office.get_by_role("button", name="Valider").click()
    expect(office.locator("#notice-state")).to_have_text("Acceptée")
    cpe.close()

    page.goto(f"{live_server.url}/absences/eleves/{bworld.pupil.id}/")
    expect(page.locator("table.events")).to_contain_text("Absence justifiée")
    expect(page.locator("table.events")).to_contain_text("Maladie")
    expect(page.locator("table.events")).not_to_contain_text("Absence à expliquer")
    assert AbsenceEvent.objects.get().state == "justified"
    parent.close()


def _tab_to(page, js_predicate, limit=120):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {js_predicate})(document.activeElement)"):
            return
    raise AssertionError(f"never reached {js_predicate}")


def test_teacher_takes_a_register_with_the_keyboard_only(page, live_server, bworld, session_login):
    session_login(page.context, bworld.teacher)
    page.goto(f"{live_server.url}/absences/")
    _tab_to(page, "el.tagName === 'BUTTON' && el.closest('form.open-register') !== null")
    page.keyboard.press("Enter")
    page.wait_for_url("**/absences/appel/*/")
    register = Register.objects.get()

    # Léa: from "present", one arrow to "absent". Noé: two arrows to "late", then his minutes.
    _tab_to(page, f"el.name === 's{bworld.outsider_pupil.id}'")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")
    page.keyboard.type("7")
    _tab_to(page, f"el.name === 's{bworld.pupil.id}'")
    page.keyboard.press("ArrowRight")
    _tab_to(page, "el.name === 'finish'")
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Appel terminé")

    register.refresh_from_db()
    assert register.state == Register.State.DONE
    marks = dict(AbsenceEvent.objects.values_list("pupil_id", "kind"))
    assert marks == {bworld.pupil.id: "absence", bworld.outsider_pupil.id: "late"}
    assert AbsenceEvent.objects.get(pupil=bworld.outsider_pupil).minutes == 7


def test_every_absences_page_is_accessible(browser, live_server, bworld, session_login, assert_accessible):
    reasons = make_reasons(bworld.school)
    register = _absent_today(bworld)
    event = AbsenceEvent.objects.get()
    from absences.access import current_enrollment

    day = timezone.localdate()
    notice = actions.do_declare_notice(
        bworld.guardian,
        bworld.pupil,
        current_enrollment(bworld.pupil.id),
        data={
            "start_date": day,
            "start_half_day": "am",
            "end_date": day,
            "end_half_day": "pm",
            "reason": reasons["family"],
            "comment": "Rendez-vous",
        },
    )
    pages = {
        "pupil": ["/absences/"],
        "guardian": [
            "/absences/",
            f"/absences/eleves/{bworld.pupil.id}/",
            f"/absences/eleves/{bworld.pupil.id}/declarer/",
            f"/absences/declarations/{notice.id}/",
            f"/absences/absences/{event.id}/",
        ],
        "teacher": [
            "/absences/",
            f"/absences/appel/{register.id}/",
            f"/absences/eleves/{bworld.pupil.id}/",
            f"/absences/classes/{bworld.klass.id}/statistiques/",
        ],
        "vie_scolaire": [
            f"/absences/ecoles/{bworld.school.id}/jour/",
            f"/absences/ecoles/{bworld.school.id}/saisie/",
            f"/absences/ecoles/{bworld.school.id}/motifs/",
            f"/absences/ecoles/{bworld.school.id}/motifs/{reasons['illness'].id}/",
            f"/absences/declarations/{notice.id}/",
            f"/absences/absences/{event.id}/",
            f"/absences/ecoles/{bworld.school.id}/export.csv?start=2026-12-01&end=2026-11-01",
        ],
        "direction": [f"/absences/ecoles/{bworld.school.id}/journal/"],
        "staff_b": [f"/absences/ecoles/{bworld.school_b.id}/jour/"],
        "referent": ["/absences/"],
    }
    for persona, paths in pages.items():
        context = browser.new_context(locale="fr-FR")
        session_login(context, getattr(bworld, persona))
        page = context.new_page()
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, (persona, path)
            assert_accessible(page, f"{path} as {persona}")
        context.close()

    # Forms sent back with errors are accessible too.
    context = browser.new_context(locale="fr-FR")
    session_login(context, bworld.vie_scolaire)
    page = context.new_page()
    page.goto(f"{live_server.url}/absences/ecoles/{bworld.school.id}/saisie/")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".msg.error")).to_be_visible()
    assert_accessible(page, "the entry form with errors")
    page.goto(f"{live_server.url}/absences/declarations/{notice.id}/")
    page.get_by_role("button", name="Refuser").click()
    assert_accessible(page, "the rejection form with errors")
    context.close()


def test_declaration_without_javascript_keeps_the_file_and_says_what_happens_next(
    browser, live_server, bworld, session_login, s3, tmp_path
):
    """Issue #22 item 3, without JavaScript: no reason chosen in advance, the list
    says which reasons need a document, a form refused keeps the chosen file
    ("Déjà joint"), and the notice page says what happens next."""
    make_reasons(bworld.school)
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    session_login(context, bworld.guardian)
    page = context.new_page()
    page.goto(f"{live_server.url}/absences/eleves/{bworld.pupil.id}/declarer/")
    reason = page.get_by_label("Motif")
    expect(reason.locator("option:checked")).to_have_text("— Choisissez le motif —")
    expect(reason).to_contain_text("Rendez-vous médical — justificatif demandé")
    today = timezone.localdate()
    page.get_by_label("Premier jour d’absence").fill(today.isoformat())
    # A slip of the finger: the last day before the first (the browser cannot tell).
    page.get_by_label("Dernier jour d’absence").fill((today - dt.timedelta(days=1)).isoformat())
    reason.select_option(label="Rendez-vous médical — justificatif demandé")
    note = tmp_path / "certificat.pdf"
    note.write_bytes(PDF)
    page.locator("input#id_document").set_input_files(str(note))
    page.get_by_role("button", name="Envoyer la déclaration").click()
    # Refused, nothing stored, and the file is not lost.
    expect(page.locator("main")).to_contain_text("La fin doit être après le début.")
    expect(page.locator("#pending-document")).to_contain_text("Déjà joint : certificat.pdf")
    assert not AbsenceNotice.objects.exists()

    page.get_by_label("Dernier jour d’absence").fill(today.isoformat())
    page.get_by_role("button", name="Envoyer la déclaration").click()
    page.wait_for_load_state()
    if page.locator("#closed-days").count():  # the tests may run on a weekend or a holiday
        page.locator("#closed-days input[type=checkbox]").check()
        page.get_by_role("button", name="Envoyer la déclaration").click()
    expect(page.locator("#what-next")).to_contain_text("L’école va regarder votre déclaration")
    notice = AbsenceNotice.objects.get()
    assert notice.document_name == "certificat.pdf" and s3.stat(notice.document_key) is not None
    # axe-core cannot run with JavaScript off (see tests/browser/test_messaging.py);
    # test_every_absences_page_is_accessible covers these pages with it on.
    context.close()
