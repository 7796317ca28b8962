"""The unread count in the navigation rises live, over the WebSocket, when a
notification arrives while the page is open. The page is served by a real ASGI
server (uvicorn): the WSGI live server has no WebSocket."""

import os

import pytest
from django.db import transaction
from playwright.sync_api import expect

from ent.notify.api import notify
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="the push crosses processes (this test → uvicorn): it needs the Redis channel layer, set REDIS_URL",
)
def test_unread_count_rises_live(page, asgi_server, bworld):  # noqa: F811
    parent = bworld.guardian
    page.goto(f"{asgi_server.url}/accounts/login/")
    page.fill("input[name=login]", parent.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url == f"{asgi_server.url}/"

    badge = page.locator("#nav-notifications [data-unread-count]")
    expect(badge).to_have_text("")
    # The socket is open once the server has sent the first count.
    expect(badge).to_have_attribute("data-count", "0")
    events = page.evaluate_handle(
        "() => { const seen = []; document.addEventListener('ent:socket', e => seen.push(e.detail)); return seen; }"
    )

    with transaction.atomic():
        notify([parent], "absence.unexplained", child=bworld.pupil, context={"period": "matin"})
    expect(badge).to_have_text("1", timeout=10_000)

    with transaction.atomic():
        notify([parent], "message.new", context={"sender_name": "Anne Leroy"})
    expect(badge).to_have_text("2", timeout=10_000)
    assert {"type": "unread", "count": 2} in events.json_value()

    # Reading on the feed page brings it back down, on the page just loaded.
    page.goto(f"{asgi_server.url}/notifications/")
    expect(page.locator("main")).to_contain_text("Concerne Léa")
    page.get_by_role("button", name="Tout marquer comme lu").click()
    expect(badge).to_have_text("")
