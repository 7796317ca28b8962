"""Mes appareils (issue 25 item 3, sessions part): every signed-in device with
its last use; sign out one, the others, or all; French and English; a password
change or an office reset signs out everywhere."""

from importlib import import_module

import pytest
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.test import Client
from django.urls import reverse

from ent.directory import sessions
from ent.directory.actions import do_issue_activation_code
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
ANDROID = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"


def sign_in(user, user_agent=FIREFOX, language="fr"):
    client = Client(HTTP_USER_AGENT=user_agent, HTTP_ACCEPT_LANGUAGE=language)
    response = client.post("/accounts/login/", {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def key_of(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def session_exists(key):
    return import_module(settings.SESSION_ENGINE).SessionStore().exists(key)


def test_the_page_lists_every_device_with_its_last_use_in_french(world):
    sign_in(world.guardian, ANDROID)
    laptop = sign_in(world.guardian, FIREFOX)
    response = laptop.get(reverse("usersessions_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mes appareils et sessions" in html
    assert "Chrome sur Android" in html and "Firefox sur Windows" in html
    assert "(cet appareil)" in html
    assert "Dernière utilisation" in html
    assert html.count(f'action="{reverse("usersessions_list")}"') == 1  # sign out the others
    assert reverse("usersessions_end_all") in html


def test_the_page_in_english(world):
    client = sign_in(world.guardian, language="en")
    html = client.get(reverse("usersessions_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My devices and sessions" in html and "Firefox on Windows" in html and "this device" in html


def test_the_account_menu_links_to_it(world):
    client = sign_in(world.guardian)
    html = client.get(reverse("account_change_password")).content.decode()
    assert f'href="{reverse("usersessions_list")}"' in html


def test_last_use_is_the_latest_request(world):
    client = sign_in(world.guardian)
    key = key_of(client)
    before = sessions.last_seen([key])[key]
    client.get(reverse("home"))
    assert sessions.last_seen([key])[key] > before


def test_signing_out_another_persons_device_is_a_404_and_changes_nothing(world):
    victim = sign_in(world.guardian)
    row = UserSession.objects.get(session_key=key_of(victim))
    outsider = sign_in(world.outsider_parent)
    assert outsider.post(reverse("usersession_end", args=[row.pk])).status_code == 404
    assert outsider.post(reverse("usersession_end", args=[10**9])).status_code == 404
    assert session_exists(key_of(victim))
    assert victim.get(reverse("home")).status_code == 200


def test_the_sign_out_routes_refuse_get(world):
    client = sign_in(world.guardian)
    row = UserSession.objects.get(session_key=key_of(client))
    assert client.get(reverse("usersession_end", args=[row.pk])).status_code == 405
    assert client.get(reverse("usersessions_end_all")).status_code == 405
    assert client.get(reverse("home")).status_code == 200


def test_signing_out_this_device_is_a_logout(world):
    client = sign_in(world.guardian)
    key = key_of(client)
    row = UserSession.objects.get(session_key=key)
    response = client.post(reverse("usersession_end", args=[row.pk]))
    assert response.status_code == 302 and response.url == reverse("account_login")
    assert not session_exists(key)
    assert not UserSession.objects.filter(pk=row.pk).exists()


def test_signing_out_another_device_keeps_this_one(world):
    phone = sign_in(world.guardian, ANDROID)
    laptop = sign_in(world.guardian)
    row = UserSession.objects.get(session_key=key_of(phone))
    response = laptop.post(reverse("usersession_end", args=[row.pk]))
    assert response.status_code == 302 and response.url == reverse("usersessions_list")
    assert "/accounts/login/" in phone.get(reverse("home")).url
    assert laptop.get(reverse("home")).status_code == 200


def test_an_office_reset_signs_the_pupil_out_everywhere(world):
    tablet = sign_in(world.pupil)
    home = sign_in(world.pupil, ANDROID)
    do_issue_activation_code(world.pupil, by=world.vie_scolaire, reset_password=True)
    for client in (tablet, home):
        assert "/accounts/login/" in client.get(reverse("home")).url
        assert not session_exists(key_of(client))
    assert not UserSession.objects.filter(user=world.pupil).exists()


def test_the_activation_login_is_listed_among_the_devices(world):
    code = do_issue_activation_code(world.parent_b, by=world.staff_b)
    client = Client(HTTP_USER_AGENT=FIREFOX)
    client.post(reverse("activate"), {"username": world.parent_b.username, "code": code})
    response = client.post(
        reverse("activate_password"), {"new_password1": "un-nouveau-mot-2026", "new_password2": "un-nouveau-mot-2026"}
    )
    assert response.status_code == 302
    assert UserSession.objects.filter(user=world.parent_b, session_key=key_of(client)).exists()


def test_group_names_never_hold_the_session_key():
    key = "k" * 32
    group = sessions.session_group(key)
    assert key not in group and group.startswith("session-") and len(group) < 100
    assert group == sessions.session_group(key) != sessions.session_group("j" * 32)


# --- One UPSERT per login (issue #25): allauth's walking receiver replaced ----------------


def test_a_login_lists_its_device_with_one_insert_and_walks_no_other_session(world, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Three devices already signed in: allauth's receiver (disconnected in
    # ent.directory.sessions.connect) read each one back at the next login.
    for _ in range(3):
        sign_in(world.guardian, ANDROID)
    client = Client(HTTP_USER_AGENT=FIREFOX)
    with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=True):
        assert client.post("/accounts/login/", {"login": world.guardian.username, "password": PASSWORD}).status_code
    device_queries = [q["sql"] for q in ctx.captured_queries if "usersessions_usersession" in q["sql"]]
    assert len(device_queries) == 1 and device_queries[0].startswith("INSERT"), device_queries
    row = UserSession.objects.get(session_key=key_of(client))
    assert (row.user_id, row.ip, row.user_agent) == (world.guardian.pk, "127.0.0.1", FIREFOX)
    assert UserSession.objects.filter(user=world.guardian).count() == 4


def test_listing_the_same_session_again_updates_its_row(world, rf):
    client = sign_in(world.guardian, ANDROID)
    key = key_of(client)
    first = UserSession.objects.get(session_key=key)
    request = rf.get("/", HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="10.1.2.3")
    request.user = world.guardian
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(key)
    sessions.track_session(request)
    row = UserSession.objects.get(session_key=key)
    assert (row.pk, row.ip, row.user_agent, row.created_at) == (first.pk, "10.1.2.3", FIREFOX, first.created_at)
    assert row.last_seen_at >= first.last_seen_at


def test_a_device_whose_session_is_gone_is_not_shown_and_is_purged_at_night(world):
    gone = sign_in(world.guardian, ANDROID)
    import_module(settings.SESSION_ENGINE).SessionStore().delete(key_of(gone))  # expired and purged
    here = sign_in(world.guardian, FIREFOX)
    other = sign_in(world.teacher)
    # The page drops it as it lists (allauth's purge_and_list)...
    html = here.get(reverse("usersessions_list")).content.decode()
    assert "Chrome sur Android" not in html and "Firefox sur Windows" in html
    # ...and the nightly retention purge drops any left, and only those.
    gone_again = sign_in(world.guardian, ANDROID)
    import_module(settings.SESSION_ENGINE).SessionStore().delete(key_of(gone_again))
    assert sessions.purge_devices(None, True) == 1
    assert sessions.purge_devices(None, False) == 1
    assert set(UserSession.objects.values_list("session_key", flat=True)) == {key_of(here), key_of(other)}
    assert here.get(reverse("home")).status_code == 200
