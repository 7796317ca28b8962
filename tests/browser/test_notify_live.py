"""The unread count in the navigation rises live, over the WebSocket, when a
notification arrives while the page is open. The page is served by a real ASGI
server (uvicorn): the WSGI live server has no WebSocket."""

import json
import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.asgi_server import ROOT, child_env
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def notify_from_another_process(user_id, kind, context, child_id=None):
    """notify() as a web process would call it: from another process (the test's
    own thread runs Playwright's event loop, where the channel layer's
    async_to_sync push cannot run)."""
    code = (
        "import django, json, sys; django.setup(); "
        "from django.db import transaction; from ent.notify.api import notify; "
        "a = json.loads(sys.argv[1]); "
        "exec('with transaction.atomic():\\n notify([a[0]], a[1], child=a[3], context=a[2])')"
    )
    args = json.dumps([user_id, kind, context, child_id])
    subprocess.run([sys.executable, "-c", code, args], env=child_env(), cwd=ROOT, check=True, timeout=60)


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

    notify_from_another_process(parent.id, "absence.unexplained", {"period": "matin"}, child_id=bworld.pupil.id)
    expect(badge).to_have_text("1", timeout=10_000)

    notify_from_another_process(parent.id, "message.new", {"sender_name": "Anne Leroy"})
    expect(badge).to_have_text("2", timeout=10_000)
    assert {"type": "unread", "count": 2} in events.json_value()

    # Reading on the feed page brings it back down, on the page just loaded.
    page.goto(f"{asgi_server.url}/notifications/")
    expect(page.locator("main")).to_contain_text("Concerne Léa")
    page.get_by_role("button", name="Tout marquer comme lu").click()
    expect(badge).to_have_text("")
