"""The office's A/B weeks page in Chromium at 360 px: axe-core finds nothing, nothing scrolls
sideways, and a week typed with the page's own form (no script) shows as typed."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from ent.timetable.models import Week

pytestmark = pytest.mark.browser


def test_weeks_page_on_a_phone(page, live_server, bworld, session_login, assert_accessible):
    session_login(page.context, bworld.vie_scolaire)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + reverse("timetable:weeks", args=[bworld.school.id]))
    assert_accessible(page, "the A/B weeks")
    scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, (scroll, inner)
    page.get_by_label("Semaine du lundi 2 novembre").select_option("A")
    page.locator("#w20261102").get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".messages")).to_contain_text("Semaine du lundi 2 novembre enregistrée.")
    expect(page.locator("#w20261102")).to_contain_text("saisie par la vie scolaire")
    assert list(Week.objects.values_list("kind", flat=True)) == ["A"]
    assert_accessible(page, "the A/B weeks after a save")
