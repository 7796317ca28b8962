"""Personal tokens (create once, stored hashed, revoke at once, last use), the
three ways in, problem details, ETags and rate limits."""

import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from ent.api.actions import do_create_token, do_revoke_token
from ent.api.models import PersonalToken

pytestmark = pytest.mark.django_db
ME = "/api/v1/me"


def test_token_page_shows_the_secret_once_and_stores_a_hash(world, client, login_as):
    login_as(world.guardian)
    response = client.post(reverse("api_tokens"), {"name": "Téléphone"})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("entpat_") and secret.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    token = PersonalToken.objects.get(user=world.guardian)
    assert secret not in (token.secret_hash, token.prefix) and len(token.secret_hash) == 64
    again = client.get(reverse("api_tokens"))
    assert secret.encode() not in again.content and "Téléphone".encode() in again.content


def test_token_page_refuses_an_empty_name_and_creates_nothing(world, client, login_as):
    login_as(world.guardian)
    response = client.post(reverse("api_tokens"), {"name": "  "}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert not PersonalToken.objects.exists()


def test_sessions_page_links_to_tokens(world, client, login_as):
    login_as(world.guardian)
    assert reverse("api_tokens").encode() in client.get(reverse("usersessions_list")).content


def test_token_opens_the_api_and_notes_last_use(world, client):
    token, secret = do_create_token(world.guardian, "app")
    response = client.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == world.guardian.id
    assert {c["id"] for c in body["children"]} == {world.pupil.id, world.sibling.id}
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revocation_is_immediate_and_only_by_the_owner(world, client, login_as):
    token, secret = do_create_token(world.guardian, "app")
    login_as(world.outsider_parent)
    assert client.post(reverse("api_token_revoke", args=[token.id])).status_code == 404
    assert client.get(reverse("api_token_revoke", args=[token.id])).status_code == 405
    client.logout()
    assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    do_revoke_token(world.guardian, token)
    response = client.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_cached_token_reads_nothing_and_its_revocation_is_seen_at_once(world, client):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    token, secret = do_create_token(world.guardian, "app")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get(ME, **auth).status_code == 200  # reads the row, notes the use (which bumps it)
    assert client.get(ME, **auth).status_code == 200  # reads the row with its new stamp
    with CaptureQueriesContext(connection) as captured:
        assert client.get(ME, **auth).status_code == 200
    assert not [q for q in captured if "api_personaltoken" in q["sql"]]
    with transaction.atomic():
        do_revoke_token(world.guardian, token)
    assert client.get(ME, **auth).status_code == 401


def test_last_use_is_written_once_per_interval_with_the_row_cached(world, client):
    import datetime

    import time_machine
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from ent.api.actions import LAST_USED_PRECISION

    token, secret = do_create_token(world.guardian, "app")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            assert client.get(ME, **auth).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == start
    later = start + LAST_USED_PRECISION + datetime.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert client.get(ME, **auth).status_code == 200
        token.refresh_from_db()
        assert token.last_used_at == later
        # The row cached after the write holds the new stamp: no second write.
        with CaptureQueriesContext(connection) as captured:
            for _ in range(3):
                assert client.get(ME, **auth).status_code == 200
    assert not [q for q in captured if q["sql"].startswith("UPDATE")]


def test_revoke_from_the_page(world, client, login_as):
    token, secret = do_create_token(world.guardian, "app")
    login_as(world.guardian)
    assert client.post(reverse("api_token_revoke", args=[token.id])).status_code == 302
    client.logout()
    assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


@pytest.mark.parametrize("header", ["", "Bearer nope", "Bearer entpat_forged", "Basic abc"])
def test_bad_credentials_are_a_problem_in_the_asked_language(world, client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    fr = client.get(ME, HTTP_ACCEPT_LANGUAGE="fr", **extra)
    en = client.get(ME, HTTP_ACCEPT_LANGUAGE="en", **extra)
    assert fr.status_code == en.status_code == 401
    assert fr.json()["status"] == 401 and fr.json()["type"].endswith("unauthorized")
    assert fr.json()["title"] != en.json()["title"]


def test_an_inactive_persons_token_does_not_work(world, client):
    _token, secret = do_create_token(world.guardian, "app")
    world.guardian.is_active = False
    world.guardian.save()
    assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_session_use_needs_csrf_on_writes(world, login_as):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    login_as(world.guardian, the_client=c)
    assert c.get(ME).status_code == 200
    response = c.post("/api/v1/notifications/read")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def test_etag_gives_304_when_nothing_changed(world, client, bearer):
    auth = bearer(world.guardian)
    first = client.get(ME, **auth)
    etag = first["ETag"]
    again = client.get(ME, HTTP_IF_NONE_MATCH=etag, **auth)
    assert again.status_code == 304 and again.content == b""
    world.guardian.first_name = "Sophia"
    world.guardian.save()
    changed = client.get(ME, HTTP_IF_NONE_MATCH=etag, **bearer(world.guardian))
    assert changed.status_code == 200


def test_rate_limit_per_token(world, client, bearer, settings):
    cache.clear()
    settings.API_RATE_LIMIT = "3/m"
    auth, other = bearer(world.guardian), bearer(world.guardian)
    codes = [client.get(ME, **auth).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get(ME, **auth)
    assert int(limited["Retry-After"]) > 0 and limited["Content-Type"] == "application/problem+json"
    assert client.get(ME, **other).status_code == 200
    cache.clear()


def test_malformed_json_and_wrong_type_change_nothing(world, client, bearer):
    from homework.models import Done

    auth = bearer(world.pupil)
    url = "/api/v1/homework/1/done"
    bodies = [
        ("{not json", "application/json"),
        ("done=1", "text/plain"),
        (json.dumps({"done": "x"}), "application/json"),
    ]
    for body, ctype in bodies:
        response = client.post(url, body, content_type=ctype, **auth)
        assert response.status_code in (400, 404, 422), response.content
        assert response["Content-Type"] == "application/problem+json"
    assert not Done.objects.exists()


def test_schema_and_docs_are_served_by_us(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.1")
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower() and b"/static/ninja/" in docs.content
    assert client.get("/api/docs/").status_code == 302
