"""The homework diary in a real browser: a pupil ticks, the parent sees it;
keyboard only and JavaScript off; axe-core on every homework page."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from homework.models import Done, Entry, Revision, Submission, Visa

pytestmark = pytest.mark.browser


def _entry(w, **extra):
    today = timezone.localdate()
    fields = {
        "title": "Exercices 1 à 4 p. 12",
        "instructions": "<p>Faire les exercices <strong>proprement</strong>.</p>",
        "work_type": Entry.WorkType.EXERCISES,
        "given_on": today,
        "due_on": today + datetime.timedelta(days=1),
        "minutes": 20,
    }
    fields.update(extra)
    return Entry.objects.create(school=w.school, school_class=w.klass, subject=w.subject, author=w.teacher, **fields)


def _open_week(page, live_server):
    page.goto(f"{live_server.url}/cahier/")
    expect(page.locator("h1")).to_be_visible()


def _choose_child(page, live_server, child):
    """A parent picks the child in the header (plain form)."""
    page.goto(f"{live_server.url}/cahier/")
    chip = page.get_by_role("navigation", name="Mes enfants").get_by_role("button", name=child.first_name)
    chip.click()
    page.wait_for_load_state()


def test_pupil_ticks_and_the_parent_sees_it(browser, live_server, bworld, login_form, session_login):
    entry = _entry(bworld)
    pupil_context = browser.new_context(locale="fr-FR")
    page = pupil_context.new_page()
    login_form(page, bworld.pupil)
    _open_week(page, live_server)
    item = page.locator(f"#entry-{entry.id}")
    expect(item).to_contain_text("Exercices 1 à 4 p. 12")
    item.get_by_role("button", name="Marquer comme fait").click()
    expect(item.get_by_role("button")).to_contain_text("Fait ✓")
    expect(page.locator("#tick-status")).to_have_text("Fait ✓ — annuler")
    assert Done.objects.filter(entry=entry, pupil=bworld.pupil).exists()
    pupil_context.close()

    parent_context = browser.new_context(locale="fr-FR")
    parent = parent_context.new_page()
    session_login(parent_context, bworld.guardian)
    _choose_child(parent, live_server, bworld.pupil)
    expect(parent.locator("h1")).to_have_text("Devoirs de Léa")
    item = parent.locator(f"#entry-{entry.id}")
    expect(item).to_contain_text("✓ Fait")
    expect(item.get_by_role("button")).to_have_count(0)  # read-only
    parent_context.close()


def test_pupil_week_and_tick_work_with_the_keyboard_only(page, live_server, bworld, session_login):
    entry = _entry(bworld)
    session_login(page.context, bworld.pupil)
    _open_week(page, live_server)
    button = page.locator(f"#entry-{entry.id} button")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('tick')"):
            break
    else:
        pytest.fail("the tick button cannot be reached with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    expect(button).to_contain_text("Fait ✓")
    # The focus stays on the button: ticking again with Space undoes it.
    page.keyboard.press("Space")
    expect(button).to_contain_text("Marquer comme fait")
    assert not Done.objects.filter(entry=entry).exists()


def test_pupil_week_and_tick_work_without_javascript(browser, live_server, bworld, login_form):
    entry = _entry(bworld)
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    login_form(page, bworld.pupil)
    _open_week(page, live_server)
    page.locator(f"#entry-{entry.id}").get_by_role("button", name="Marquer comme fait").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/cahier/#entry-{entry.id}")
    expect(page.locator(f"#entry-{entry.id} button")).to_contain_text("Fait ✓")
    assert Done.objects.filter(entry=entry, pupil=bworld.pupil).exists()
    # The detail page and its link work too.
    page.get_by_role("link", name="Exercices 1 à 4 p. 12").click()
    expect(page.locator("h1")).to_have_text("Exercices 1 à 4 p. 12")
    context.close()


def test_every_homework_page_is_accessible(browser, live_server, bworld, session_login, assert_accessible):
    w = bworld
    entry = _entry(w, hand_in=True)
    lesson = _entry(w, kind=Entry.Kind.LESSON, title="Séance : Thalès", due_on=None, minutes=None, work_type="")
    Submission.objects.create(entry=entry, pupil=w.pupil, link="https://example.org/travail")
    Revision.objects.create(
        entry=entry, author=w.teacher, changes=[{"field": "title", "before": "Ex. 1 à 3", "after": entry.title}]
    )
    Visa.objects.create(school_class=w.klass, signed_by=w.direction, comment="Bien tenu")
    Done.objects.create(entry=entry, pupil=w.pupil)
    pages = {
        "pupil": [
            "/cahier/",
            f"/cahier/travail/{entry.id}/",
            f"/cahier/travail/{lesson.id}/",
            "/cahier/agenda/",
        ],
        "guardian": ["/cahier/", f"/cahier/travail/{entry.id}/", "/cahier/agenda/"],
        "teacher": [
            "/cahier/classes/",
            f"/cahier/classes/c{w.klass.id}/",
            f"/cahier/classes/c{w.klass.id}/ajouter/",
            f"/cahier/travail/{entry.id}/",
            f"/cahier/travail/{entry.id}/modifier/",
            f"/cahier/travail/{entry.id}/copier/",
        ],
        "direction": ["/cahier/classes/", f"/cahier/classes/c{w.klass.id}/", f"/cahier/travail/{entry.id}/"],
        "admin": ["/cahier/"],
    }
    for persona, paths in pages.items():
        context = browser.new_context(locale="fr-FR")
        page = context.new_page()
        session_login(context, getattr(w, persona))
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, f"{persona} {path}: {response.status}"
            assert_accessible(page, f"{path} as {persona}")
        context.close()


def test_teacher_form_errors_and_calendar_with_address_are_accessible(
    page, live_server, bworld, session_login, assert_accessible
):
    session_login(page.context, bworld.teacher)
    page.goto(f"{live_server.url}/cahier/classes/c{bworld.klass.id}/ajouter/")
    page.fill("#id_title", "")
    page.fill("#id_due_on", "2020-01-01")
    page.get_by_role("button", name="Ajouter").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    assert_accessible(page, "the entry form with errors")
    assert not Entry.objects.exists()

    page.context.clear_cookies()
    session_login(page.context, bworld.pupil)
    page.goto(f"{live_server.url}/cahier/agenda/")
    page.get_by_role("button", name="Créer mon adresse d'agenda").click()
    assert ".ics" in page.get_by_label("Adresse de l'agenda (iCal)").input_value()
    assert_accessible(page, "the calendar page with an address")


def test_the_class_diary_keeps_its_column_names_on_a_phone(browser, live_server, bworld, session_login):
    """Issue #22 item 4: at 360 px the diary is one card per entry, each value
    with its column's name ("Pour le : …", "Fait : 1 sur 25"), no sideways scroll;
    the teacher opens who ticked."""
    from django.urls import reverse

    entry = _entry(bworld)
    Done.objects.create(entry=entry, pupil=bworld.pupil)
    context = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740})
    session_login(context, bworld.teacher)
    page = context.new_page()
    page.goto(f"{live_server.url}{reverse('homework:diary', args=[f'c{bworld.klass.id}'])}")
    card = page.locator("table.diary tbody tr").first
    expect(card.locator(".cell-label").first).to_be_visible()
    expect(card).to_contain_text("Pour le :")
    expect(card).to_contain_text("Fait : 1 sur")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    card.get_by_role("link", name="1 sur").click()
    expect(page.locator("#ticked")).to_contain_text(f"{bworld.pupil.last_name} {bworld.pupil.first_name}")
    context.close()
