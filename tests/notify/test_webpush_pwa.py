"""The installable app's server side: manifest, worker, offline list, and the
sign-out that empties the app's caches (the browser side: tests/browser/test_pwa.py)."""

import json

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_manifest_is_named_in_the_readers_language(client):
    response = client.get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "ENT — espace numérique de travail des écoles"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    sizes = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
    english = json.loads(client.get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="en").content)
    assert english["name"] == "ENT — digital workspace of the schools"
    assert "Accept-Language" in response["Vary"]


def test_the_worker_is_served_at_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    assert "{{" not in body and "{%" not in body
    assert "Hors ligne — à jour de %(time)s" in body and "Offline — up to date as of %(time)s" in body
    # Under the CSP: the worker is our own script, and it has no eval.
    assert "eval(" not in body
    assert client.post("/sw.js").status_code == 405


def test_the_offline_list_names_a_per_session_key(world, client, login_as):
    assert client.get(reverse("notify:offline_list")).json() == {"account": None}
    login_as(world.guardian)
    first = client.get(reverse("notify:offline_list")).json()
    assert first["account"] and first["account"] == client.get(reverse("notify:offline_list")).json()["account"]
    assert first["account"] != client.session.session_key
    assert first["precache"] == [reverse("homework:week"), reverse("messaging:inbox"), reverse("timetable:mine")]
    assert any("messages" in p and r"\d+" in p for p in first["patterns"])
    # Another session of the same person keeps its own pages.
    from django.test import Client

    other = login_as(world.guardian, the_client=Client())
    assert other.get(reverse("notify:offline_list")).json()["account"] != first["account"]
    assert "no-store" in client.get(reverse("notify:offline_list"))["Cache-Control"]


def test_signing_out_clears_the_apps_caches(world, client, login_as):
    login_as(world.guardian)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    # Other responses leave the site's data alone.
    login_as(world.guardian)
    assert "Clear-Site-Data" not in client.get(reverse("home"))


def test_pages_link_the_manifest_and_the_script(world, login_as):
    page = login_as(world.guardian).get(reverse("home")).content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest" crossorigin="use-credentials">' in page
    assert 'data-worker="/sw.js" data-signed-in="1"' in page


def test_the_offline_key_is_no_session_write(world, client, login_as):
    """The worker asks for the list from several requests at once when a page
    opens: a key drawn and stored by each raced (two keys, the worker's pages
    dropped under the other). Derived from the session, it is one key, unstored."""
    login_as(world.guardian)
    before = dict(client.session.items())
    keys = {client.get(reverse("notify:offline_list")).json()["account"] for _ in range(3)}
    assert len(keys) == 1
    assert dict(client.session.items()) == before
