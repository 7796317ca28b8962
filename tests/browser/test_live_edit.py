"""Live edits of a message that was already edited when the page loaded (issue
24, item 6): live.js updated the header's "edited" label instead of the body, so
the open page kept the old text. Chromium, a real ASGI server, pushes leaving
from the server process (the parent edits and deletes through the pages)."""

import pytest
from django.db import transaction
from playwright.sync_api import expect

from ent.directory.models import User
from messaging import actions
from tests.browser.asgi_server import asgi_server, django_db_modify_db_settings  # noqa: F401
from tests.browser.test_messaging import login, socket_open

pytestmark = pytest.mark.browser


def test_an_already_edited_message_is_edited_again_then_deleted_live(browser, asgi_server, bworld):  # noqa: F811
    base = asgi_server.url
    guardian = User.objects.get(pk=bworld.guardian.pk)
    with transaction.atomic():
        conv = actions.do_start_conversation(guardian, [bworld.teacher.pk], "Sortie", "Bonjour madame.")
        message = conv.messages.get()
        actions.do_edit_message(guardian, message, "Première version corrigée.")
    prof_ctx = browser.new_context(locale="fr-FR")
    parent_ctx = browser.new_context(locale="fr-FR")
    prof, parent = prof_ctx.new_page(), parent_ctx.new_page()
    login(prof, base, bworld.teacher)
    login(parent, base, bworld.guardian)
    prof.goto(f"{base}/messages/c/{conv.pk}/")
    socket_open(prof)
    item = prof.locator(f"#m{message.pk}")
    expect(item.locator(".meta .muted")).to_have_text("modifié")  # edited at page load
    expect(item.locator(".body")).to_have_text("Première version corrigée.")
    prof.evaluate("window.notReloaded = true")

    parent.goto(f"{base}/messages/m/{message.pk}/modifier/")
    parent.get_by_label("Votre message").fill("Deuxième version, définitive.")
    parent.get_by_role("button", name="Enregistrer").click()
    parent.wait_for_load_state()

    expect(item.locator(".body")).to_have_text("Deuxième version, définitive.", timeout=10_000)
    expect(item.locator(".meta .muted")).to_have_count(1)  # one "edited" label, not two
    expect(item.locator(".meta")).to_contain_text("modifié")

    parent.goto(f"{base}/messages/c/{conv.pk}/")
    parent.locator(f"#m{message.pk}").get_by_role("button", name="Supprimer").click()
    parent.wait_for_load_state()

    expect(item).to_contain_text("Message supprimé par son auteur.", timeout=10_000)
    expect(item).not_to_contain_text("Deuxième version")
    expect(item.locator(".message-actions")).to_have_count(0)
    assert prof.evaluate("window.notReloaded") is True
    prof_ctx.close()
    parent_ctx.close()


def test_a_message_edited_live_for_the_first_time_gets_its_label(browser, asgi_server, bworld):  # noqa: F811
    base = asgi_server.url
    with transaction.atomic():
        conv = actions.do_start_conversation(
            User.objects.get(pk=bworld.guardian.pk), [bworld.teacher.pk], "Sortie", "Bonjour madame."
        )
        message = conv.messages.get()
    prof_ctx = browser.new_context(locale="fr-FR")
    parent_ctx = browser.new_context(locale="fr-FR")
    prof, parent = prof_ctx.new_page(), parent_ctx.new_page()
    login(prof, base, bworld.teacher)
    login(parent, base, bworld.guardian)
    prof.goto(f"{base}/messages/c/{conv.pk}/")
    socket_open(prof)
    item = prof.locator(f"#m{message.pk}")
    expect(item.locator(".meta .muted")).to_have_count(0)

    parent.goto(f"{base}/messages/m/{message.pk}/modifier/")
    parent.get_by_label("Votre message").fill("Bonjour madame, corrigé.")
    parent.get_by_role("button", name="Enregistrer").click()
    parent.wait_for_load_state()

    expect(item.locator(".body")).to_have_text("Bonjour madame, corrigé.", timeout=10_000)
    expect(item.locator(".meta .muted")).to_have_text("modifié")
    prof_ctx.close()
    parent_ctx.close()
