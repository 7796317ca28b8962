"""Messaging in Chromium: a message written by `parent` appears live on `prof`'s
open page, without reload, through the one socket of the page (served by a real
ASGI server); the pages pass axe-core; everything works without JavaScript."""

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from playwright.sync_api import expect

from ent.directory.models import User
from messaging import actions
from messaging.models import Announcement, Conversation
from tests.browser.asgi_server import asgi_server, django_db_modify_db_settings  # noqa: F401
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def login(page, base, user):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def staff_session(context, base, user):
    client = Client()
    client.force_login(user)
    session = client.session
    session["ent_mfa_ok"] = True
    session.save()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def socket_open(page):
    # socket.js sets data-count once the server has sent the first frame.
    # A locator wait, not wait_for_function: a string predicate is evaluated with
    # eval() in the page, which our CSP (no 'unsafe-eval') refuses.
    page.locator("[data-unread-count][data-count]").first.wait_for(state="attached", timeout=15_000)


def test_parent_writes_and_prof_sees_it_live(browser, asgi_server, bworld, assert_accessible):  # noqa: F811
    base = asgi_server.url
    with transaction.atomic():
        conv = actions.do_start_conversation(
            User.objects.get(pk=bworld.guardian.pk), [bworld.teacher.pk], "Sortie au musée", "Bonjour madame."
        )
    prof_ctx = browser.new_context(locale="fr-FR")
    parent_ctx = browser.new_context(locale="fr-FR")
    prof, parent = prof_ctx.new_page(), parent_ctx.new_page()
    login(prof, base, bworld.teacher)
    login(parent, base, bworld.guardian)
    url = f"{base}/messages/c/{conv.pk}/"
    prof.goto(url)
    parent.goto(url)
    socket_open(prof)
    socket_open(parent)
    expect(parent.locator("[data-receipt]")).to_have_text("Lu par Anne Leroy")

    parent.get_by_label("Votre message").fill("Léa aura besoin d'un pique-nique ? https://example.org/sortie")
    parent.get_by_role("button", name="Envoyer").click()
    # Appears on the teacher's open page, no reload, link made clickable.
    last = prof.locator("#messages li.message").last
    expect(last).to_contain_text("Léa aura besoin d'un pique-nique ?", timeout=10_000)
    expect(last.locator("a[href='https://example.org/sortie']")).to_have_count(1)
    assert prof.url == url
    # With its actions, as after a reload (issue #22): the teacher may report it,
    # its author (who sent it over the socket) may change or delete it.
    expect(last.locator(".message-actions")).to_contain_text("Signaler", timeout=10_000)
    mine = parent.locator("#messages li.message").last.locator(".message-actions")
    expect(mine).to_contain_text("Modifier", timeout=10_000)
    expect(mine).to_contain_text("Supprimer")
    # ... and the parent sees the read receipt arrive live too.
    expect(parent.locator("#messages li.message").last.locator("[data-receipt]")).to_have_text(
        "Lu par Anne Leroy", timeout=10_000
    )
    assert_accessible(prof, "a conversation (teacher)")
    prof.goto(f"{base}/messages/")
    assert_accessible(prof, "the inbox")
    prof.goto(f"{base}/messages/nouvelle/")
    assert_accessible(prof, "a new message with the people picker")
    prof_ctx.close()
    parent_ctx.close()


def test_new_conversation_appears_live_in_the_open_inbox(browser, asgi_server, bworld):  # noqa: F811
    base = asgi_server.url
    parent_ctx = browser.new_context(locale="fr-FR")
    prof_ctx = browser.new_context(locale="fr-FR")
    parent, prof = parent_ctx.new_page(), prof_ctx.new_page()
    login(parent, base, bworld.guardian)
    login(prof, base, bworld.teacher)
    parent.goto(f"{base}/messages/")
    expect(parent.locator("main")).to_contain_text("Aucune conversation pour l'instant.")
    socket_open(parent)
    parent.evaluate("window.notReloaded = true")

    # The teacher writes through the page (the push leaves from the server process:
    # the test thread runs Playwright's event loop and cannot push itself).
    prof.goto(f"{base}/messages/nouvelle/")
    prof.get_by_label("Sophie Martin (parent)").check()
    prof.get_by_label("Objet").fill("Réunion <b>jeudi</b>")
    prof.get_by_label("Votre message").fill("Pouvez-vous venir à 18 h ?")
    prof.get_by_role("button", name="Envoyer").click()
    expect(prof.locator("h1")).to_have_text("Réunion <b>jeudi</b>")

    row = parent.locator("#conversations li.conversation")
    expect(row).to_have_count(1, timeout=10_000)
    expect(row.get_by_role("link", name="Réunion <b>jeudi</b>")).to_have_count(1)
    expect(row).to_contain_text("1 non lu")
    expect(row).to_contain_text("Anne Leroy : Pouvez-vous venir à 18 h ?")
    assert row.locator("b").count() == 0  # the subject stays text
    assert parent.evaluate("window.notReloaded") is True
    assert parent.url == f"{base}/messages/"

    # A second new one goes on top of the first, still without reload.
    prof.goto(f"{base}/messages/nouvelle/")
    prof.get_by_label("Sophie Martin (parent)").check()
    prof.get_by_label("Objet").fill("Sortie scolaire")
    prof.get_by_label("Votre message").fill("Autorisation à signer.")
    prof.get_by_role("button", name="Envoyer").click()
    expect(row).to_have_count(2, timeout=10_000)
    expect(row.first).to_contain_text("Sortie scolaire")
    assert parent.evaluate("window.notReloaded") is True
    prof_ctx.close()
    parent_ctx.close()


def test_parent_writes_without_javascript(browser, asgi_server, bworld, assert_accessible):  # noqa: F811
    """The multipart forms work with JavaScript off. axe-core is run on the error
    page with JavaScript on: it runs inside the page and waits on its own timers,
    which never fire when JavaScript is disabled, so `page.evaluate(axe.run(...))`
    waits forever (page.evaluate has no timeout). Minimal reproduction, no server:
    `browser.new_context(java_script_enabled=False).new_page()`, then
    `page.evaluate("new Promise(r => setTimeout(r, 10))")` never returns, while
    `page.evaluate("1 + 1")` does. That was the hang once blamed on the form."""
    base = asgi_server.url
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    login(page, base, bworld.guardian)
    page.goto(f"{base}/messages/")
    page.get_by_role("link", name="Écrire un nouveau message").click()
    page.get_by_label("Anne Leroy — Latin; Mathématiques, 6e A").check()
    page.get_by_label("Objet").fill("Devoirs")
    page.get_by_label("Votre message").fill("Bonjour, une question sur les devoirs.")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator("h1")).to_have_text("Devoirs")
    expect(page.locator("#messages")).to_contain_text("une question sur les devoirs")
    # Blanks pass the browser's own "required" check; the server explains.
    page.get_by_label("Votre message").fill("   ")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator("main")).to_contain_text("Écrivez un message avant d'envoyer.")
    context.close()
    conversation = Conversation.objects.get(subject="Devoirs")
    assert conversation.messages.count() == 1

    # The same server-rendered error, with JavaScript on (blanks are left to the server there too).
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    login(page, base, bworld.guardian)
    page.goto(f"{base}/messages/c/{conversation.pk}/")
    page.get_by_label("Votre message").fill("   ")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator("main")).to_contain_text("Écrivez un message avant d'envoyer.")
    assert_accessible(page, "a conversation with an error")
    context.close()


def test_announcement_pages_are_accessible(browser, asgi_server, bworld, assert_accessible):  # noqa: F811
    base = asgi_server.url
    with transaction.atomic():
        announcement = actions.do_send_announcement(
            User.objects.get(pk=bworld.direction.pk),
            title="Réunion parents-professeurs",
            body="Jeudi à 18 h.",
            audience=Announcement.Audience.CLASS,
            target=bworld.klass,
            requires_confirmation=True,
        )
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    login(page, base, bworld.guardian)
    page.goto(f"{base}/messages/annonces/{announcement.pk}/")
    assert_accessible(page, "an announcement (family)")
    page.get_by_role("button", name="Je confirme avoir lu").click()
    expect(page.locator("main")).to_contain_text("Vous avez confirmé votre lecture")
    context.close()

    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    staff_session(context, base, bworld.direction)
    page.goto(f"{base}/messages/annonces/{announcement.pk}/")
    expect(page.locator("main")).to_contain_text("Confirmée par 1 sur 4")
    assert_accessible(page, "an announcement (author)")
    page.goto(f"{base}/messages/annonces/nouvelle/")
    assert_accessible(page, "a new announcement")
    page.goto(f"{base}/messages/regles/{bworld.school.pk}/")
    assert_accessible(page, "the messaging rules")
    page.goto(f"{base}/messages/moderation/")
    assert_accessible(page, "moderation")
    context.close()
