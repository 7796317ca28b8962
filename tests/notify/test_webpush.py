"""Web Push, the fourth channel: real encryption (RFC 8291, checked by decrypting
with the subscription's private key through http_ece), a real VAPID signature, and
a local HTTP server that answers like a push service (201, 404/410, 429)."""

import base64
import datetime
import json
import os
import threading
import zoneinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import jwt
import pytest
import time_machine
from allauth.usersessions.models import UserSession
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse

from ent.notify import actions, tasks, webpush
from ent.notify.api import notify
from ent.notify.models import ChildMute, Delivery, NotificationSettings, Preference, WebPushSubscription

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MIDNIGHT = datetime.time(0, 0)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushService:
    """A push service in a thread: records each push and answers `statuses` in
    order (the last one repeats)."""

    def __init__(self, statuses=(201,)):
        self.statuses = list(statuses)
        self.requests = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                service.requests.append(
                    {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                status = service.statuses[min(len(service.requests) - 1, len(service.statuses) - 1)]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def endpoint(self, name="device-1"):
        return f"http://127.0.0.1:{self.server.server_port}/push/{name}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Browser:
    """The browser's side of a subscription: its P-256 key pair and auth secret."""

    def __init__(self, endpoint):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    def subscription_json(self):
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64(public), "auth": b64(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


@pytest.fixture
def vapid(settings):
    keys = webpush.new_keys()
    settings.WEBPUSH_VAPID_PRIVATE_KEY = keys["WEBPUSH_VAPID_PRIVATE_KEY"]
    settings.WEBPUSH_VAPID_PUBLIC_KEY = keys["WEBPUSH_VAPID_PUBLIC_KEY"]
    settings.WEBPUSH_CONTACT = "mailto:ent@example.org"
    settings.WEBPUSH_EXTRA_HOSTS = ["127.0.0.1"]
    return keys


@pytest.fixture
def service():
    services = []

    def start(*statuses):
        s = PushService(statuses or (201,))
        services.append(s)
        return s

    yield start
    for s in services:
        s.stop()


@pytest.fixture
def awake(settings, world):
    # About sending, whatever the hour the suite runs at: no night, no quiet hours.
    settings.NOTIFY_NIGHT_START_HOUR = settings.NOTIFY_NIGHT_END_HOUR = 0
    NotificationSettings.objects.create(user=world.guardian, quiet_start=MIDNIGHT, quiet_end=MIDNIGHT)


def subscribe(user, browser):
    return actions.do_subscribe_webpush(user, browser.subscription_json(), session_key=None, user_agent="Firefox")


def post_json(client, url, data, **extra):
    return client.post(url, data=json.dumps(data), content_type="application/json", **extra)


# Delivering


def test_a_push_is_encrypted_for_the_device_and_signed(world, vapid, service, awake, committed):
    push = service(201)
    browser = Browser(push.endpoint())
    subscribe(world.guardian, browser)
    with committed():
        notify([world.guardian], "message.new", context={"sender_name": "Anne Leroy", "url": "/messages/c/7/"})

    delivery = Delivery.objects.get(channel=Delivery.Channel.WEBPUSH)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 1)
    [request] = push.requests
    assert request["path"] == "/push/device-1"
    assert request["headers"]["content-encoding"] == "aes128gcm"
    assert int(request["headers"]["ttl"]) == 86400
    # Only the browser's private key opens it, and it says little: no name, no excerpt.
    payload = browser.decrypt(request["body"])
    assert payload["title"] == "Nouveau message de l'école"
    assert payload["url"] == "/messages/c/7/"
    assert payload["tag"] == f"ent-{delivery.notification_id}"
    assert "Anne" not in json.dumps(payload)
    # VAPID (RFC 8292): a JWT for this push service, signed with our key.
    scheme, params = request["headers"]["authorization"].split(" ", 1)
    assert scheme == "vapid"
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    assert fields["k"] == vapid["WEBPUSH_VAPID_PUBLIC_KEY"]
    point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(fields["k"]))
    claims = jwt.decode(fields["t"], point, algorithms=["ES256"], audience=push.endpoint().rsplit("/push", 1)[0])
    assert claims["sub"] == "mailto:ent@example.org"


def test_every_device_of_the_person_gets_it_and_names_the_child(world, vapid, service, awake, committed):
    push = service(201)
    phone, laptop = Browser(push.endpoint("phone")), Browser(push.endpoint("laptop"))
    subscribe(world.guardian, phone)
    subscribe(world.guardian, laptop)
    with committed():
        notify([world.guardian], "absence.unexplained", child=world.pupil, context={"url": "/absences/"})
    assert len(push.requests) == 2
    by_path = {r["path"]: r["body"] for r in push.requests}
    assert phone.decrypt(by_path["/push/phone"])["title"] == "Absence à justifier pour Léa"
    assert laptop.decrypt(by_path["/push/laptop"])["title"] == "Absence à justifier pour Léa"


@pytest.mark.parametrize("status", [404, 410])
def test_an_expired_subscription_is_removed(world, vapid, service, awake, committed, status):
    push = service(status)
    subscribe(world.guardian, Browser(push.endpoint()))
    with committed():
        notify([world.guardian], "message.new")
    assert not WebPushSubscription.objects.exists()
    delivery = Delivery.objects.get(channel=Delivery.Channel.WEBPUSH)
    assert delivery.status == Delivery.Status.FAILED
    assert "no device" in delivery.error
    # The email went all the same.
    assert Delivery.objects.get(channel=Delivery.Channel.EMAIL).status == Delivery.Status.SENT


def test_an_expired_device_does_not_stop_the_others(world, vapid, service, awake, committed):
    gone, alive = service(410), service(201)
    subscribe(world.guardian, Browser(gone.endpoint("old")))
    kept = subscribe(world.guardian, Browser(alive.endpoint("new")))
    with committed():
        notify([world.guardian], "message.new")
    assert list(WebPushSubscription.objects.all()) == [kept]
    assert Delivery.objects.get(channel=Delivery.Channel.WEBPUSH).status == Delivery.Status.SENT


def test_too_many_requests_is_retried_later(world, vapid, service, awake, committed):
    push = service(429, 201)
    browser = Browser(push.endpoint())
    subscribe(world.guardian, browser)
    with committed():
        notify([world.guardian], "message.new")
    # Eager tasks apply the retry at once; a worker waits retry_countdown() first.
    delivery = Delivery.objects.get(channel=Delivery.Channel.WEBPUSH)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 2)
    assert len(push.requests) == 2
    assert browser.decrypt(push.requests[1]["body"])["tag"] == f"ent-{delivery.notification_id}"
    assert WebPushSubscription.objects.count() == 1


def test_too_many_requests_leaves_the_delivery_pending(world, vapid, service, awake):
    push = service(429)
    subscribe(world.guardian, Browser(push.endpoint()))
    notify([world.guardian], "message.new")  # inside the test's transaction: nothing sent yet
    delivery = Delivery.objects.get(channel=Delivery.Channel.WEBPUSH)
    with pytest.raises(actions.TransientDeliveryError):
        actions.do_send_delivery(delivery.id)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 1)
    assert "429" in delivery.error
    assert WebPushSubscription.objects.count() == 1
    # The last attempt records the failure for good.
    assert actions.do_send_delivery(delivery.id, last_attempt=True) == Delivery.Status.FAILED


def test_an_unreachable_push_service_is_retried(world, vapid, service, awake):
    push = service(201)
    endpoint = push.endpoint()
    push.stop()
    subscribe(world.guardian, Browser(endpoint))
    notify([world.guardian], "message.new")
    delivery = Delivery.objects.get(channel=Delivery.Channel.WEBPUSH)
    with pytest.raises(actions.TransientDeliveryError):
        actions.do_send_delivery(delivery.id)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING


# The same rules as email and SMS


def paris(day, hour, minute=0):
    return datetime.datetime(2026, 10, day, hour, minute, tzinfo=PARIS)


def test_quiet_hours_hold_pushes_like_emails(world, vapid, service, mailoutbox, committed):
    push = service(201)
    subscribe(world.guardian, Browser(push.endpoint()))
    with time_machine.travel(paris(6, 20, 30), tick=False):
        with committed():
            notify([world.guardian], "message.new")
        assert push.requests == [] and mailoutbox == []
        assert {d.channel: d.due_at for d in Delivery.objects.all()} == {
            "email": paris(7, 7, 0),
            "webpush": paris(7, 7, 0),
        }
    with time_machine.travel(paris(7, 6, 45), tick=False):
        tasks.release_due.delay()
        assert push.requests == []
    with time_machine.travel(paris(7, 7, 0), tick=False):
        tasks.release_due.delay()
    assert len(push.requests) == 1 and len(mailoutbox) == 1


def test_urgent_goes_through_quiet_hours_but_not_the_night(world, vapid, service, committed):
    push = service(201)
    subscribe(world.guardian, Browser(push.endpoint()))
    with time_machine.travel(paris(6, 20, 30), tick=False):
        with committed():
            notify([world.guardian], "absence.unexplained", child=world.pupil)
    assert len(push.requests) == 1
    with time_machine.travel(paris(6, 23, 30), tick=False):
        with committed():
            notify([world.guardian], "absence.unexplained", child=world.pupil)
    assert len(push.requests) == 1
    assert Delivery.objects.filter(channel="webpush", status="pending", due_at=paris(7, 7, 0)).count() == 1


def test_the_preference_turns_pushes_off_per_kind(world, vapid, service, awake, committed):
    push = service(201)
    subscribe(world.guardian, Browser(push.endpoint()))
    Preference.objects.create(user=world.guardian, kind="message.new", frequency="immediately", webpush=False)
    with committed():
        notify([world.guardian], "message.new")
        notify([world.guardian], "announcement.new")
    assert push.requests and len(push.requests) == 1
    assert list(Delivery.objects.filter(channel="webpush").values_list("notification__kind", flat=True)) == [
        "announcement.new"
    ]


def test_a_digest_is_never_pushed(world, vapid, service, awake, committed):
    push = service(201)
    subscribe(world.guardian, Browser(push.endpoint()))
    with committed():
        notify([world.guardian], "homework.published", child=world.pupil)  # a daily digest by default
    assert not Delivery.objects.filter(channel="webpush").exists()
    assert push.requests == []


def test_a_muted_child_is_not_pushed(world, vapid, service, awake, committed):
    push = service(201)
    subscribe(world.guardian, Browser(push.endpoint()))
    ChildMute.objects.create(user=world.guardian, child=world.pupil, kind="homework.due_tomorrow")
    with committed():
        notify([world.guardian], "homework.due_tomorrow", child=world.pupil)
        notify([world.guardian], "homework.due_tomorrow", child=world.sibling)
    assert len(push.requests) == 1


def test_no_device_no_push_row(world, vapid, awake, committed):
    with committed():
        notify([world.guardian], "message.new")
    assert not Delivery.objects.filter(channel="webpush").exists()


def test_without_keys_the_channel_is_off(world, vapid, service, awake, committed, settings):
    push = service(201)
    subscribe(world.guardian, Browser(push.endpoint()))
    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    assert not webpush.enabled()
    with committed():
        notify([world.guardian], "message.new")
    assert not Delivery.objects.filter(channel="webpush").exists()
    assert push.requests == []


def test_ending_the_session_removes_its_subscriptions(world, vapid, service):
    push = service(201)
    session = UserSession.objects.create(user=world.guardian, session_key="k" * 32, ip="127.0.0.1", user_agent="x")
    actions.do_subscribe_webpush(
        world.guardian, Browser(push.endpoint()).subscription_json(), session_key=session.session_key
    )
    assert WebPushSubscription.objects.get().user_session == session
    session.delete()
    assert not WebPushSubscription.objects.exists()


def test_another_person_on_the_same_browser_takes_the_subscription_over(world, vapid, service):
    push = service(201)
    browser = Browser(push.endpoint())
    subscribe(world.guardian, browser)
    subscribe(world.outsider_parent, browser)
    assert list(WebPushSubscription.objects.values_list("user_id", flat=True)) == [world.outsider_parent.id]


# The endpoints


def test_subscribe(world, vapid, service, login_as):
    client = login_as(world.guardian)
    browser = Browser(service(201).endpoint())
    response = post_json(client, reverse("notify:webpush_subscribe"), browser.subscription_json())
    assert response.status_code == 201
    subscription = WebPushSubscription.objects.get()
    assert response.json() == {"id": subscription.id}
    assert (subscription.user, subscription.endpoint) == (world.guardian, browser.endpoint)


def test_subscribe_needs_post_and_a_person(world, vapid, client, login_as):
    url = reverse("notify:webpush_subscribe")
    assert client.post(url, data="{}", content_type="application/json").status_code == 302  # to the login page
    assert login_as(world.guardian).get(url).status_code == 405


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        ("not json", "application/json", 400, "JSON"),
        ("[1, 2]", "application/json", 400, "JSON"),
        ('{"endpoint": "x"}', "text/plain", 415, "application/json"),
        (
            '{"endpoint": "https://evil.example/push/1", "keys": {"p256dh": "AA", "auth": "AA"}}',
            None,
            400,
            "service de",
        ),
        ('{"endpoint": "http://fcm.googleapis.com/fcm/send/1", "keys": {}}', None, 400, "adresse"),
        ("{}", None, 400, "adresse"),
        (
            '{"endpoint": "https://fcm.googleapis.com/fcm/send/1", "keys": {"p256dh": "AAAA", "auth": "AA"}}',
            None,
            400,
            "p256dh",
        ),
        ('{"endpoint": "https://fcm.googleapis.com/fcm/send/1"}', None, 400, "clés"),
        ('{"endpoint": "https://user:pw@fcm.googleapis.com/1", "keys": {}}', None, 400, "service de"),
        (json.dumps({"endpoint": "https://fcm.googleapis.com/" + "a" * 5000}), None, 413, ""),
    ],
)
def test_subscribe_refuses_bad_input_clearly(world, vapid, login_as, body, content_type, status, words):
    client = login_as(world.guardian)
    response = client.post(
        reverse("notify:webpush_subscribe"), data=body, content_type=content_type or "application/json"
    )
    assert response.status_code == status
    assert words.lower() in response.json()["error"].lower()
    assert not WebPushSubscription.objects.exists()


def test_subscribe_says_so_in_english(world, vapid, login_as):
    client = login_as(world.guardian)
    response = client.post(
        reverse("notify:webpush_subscribe"), data="nope", content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.json() == {"error": "This request is not valid JSON."}


def test_subscribe_when_the_channel_is_off(world, service, login_as, settings):
    settings.WEBPUSH_EXTRA_HOSTS = ["127.0.0.1"]
    client = login_as(world.guardian)
    response = post_json(client, reverse("notify:webpush_subscribe"), Browser(service().endpoint()).subscription_json())
    assert response.status_code == 400
    assert "pas disponibles" in response.json()["error"]


def test_unsubscribe_own_and_not_anothers(world, vapid, service, login_as):
    push = service(201)
    mine = subscribe(world.guardian, Browser(push.endpoint("mine")))
    theirs = subscribe(world.outsider_parent, Browser(push.endpoint("theirs")))
    client = login_as(world.guardian)
    url = reverse("notify:webpush_unsubscribe")
    response = post_json(client, url, {"endpoint": theirs.endpoint})
    assert response.status_code == 404 and response.json()["error"]
    assert post_json(client, url, {"endpoint": mine.endpoint}).json() == {"removed": True}
    assert list(WebPushSubscription.objects.all()) == [theirs]
    assert client.get(url).status_code == 405


def test_remove_from_my_devices(world, vapid, service, login_as):
    push = service(201)
    mine = subscribe(world.guardian, Browser(push.endpoint("mine")))
    theirs = subscribe(world.outsider_parent, Browser(push.endpoint("theirs")))
    client = login_as(world.guardian)
    assert client.post(reverse("notify:webpush_remove", args=[theirs.id])).status_code == 404
    assert client.post(reverse("notify:webpush_remove", args=[999999])).status_code == 404
    assert client.get(reverse("notify:webpush_remove", args=[mine.id])).status_code == 405
    response = client.post(reverse("notify:webpush_remove", args=[mine.id]), {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("usersessions_list")
    assert list(WebPushSubscription.objects.all()) == [theirs]


def test_my_devices_lists_the_push_devices(world, vapid, service, login_as):
    push = service(201)
    mine = subscribe(world.guardian, Browser(push.endpoint("mine")))
    subscribe(world.outsider_parent, Browser(push.endpoint("theirs")))
    page = login_as(world.guardian).get(reverse("usersessions_list")).content.decode()
    assert reverse("notify:webpush_remove", args=[mine.id]) in page
    assert page.count('action="/notifications/push/') == 1


def test_preferences_offer_the_channel(world, vapid, login_as):
    page = login_as(world.guardian).get(reverse("notify:preferences")).content.decode()
    assert 'name="message.new__webpush"' in page
    assert vapid["WEBPUSH_VAPID_PUBLIC_KEY"] in page


def test_preferences_say_when_the_channel_is_off(world, login_as):
    page = login_as(world.guardian).get(reverse("notify:preferences")).content.decode()
    assert 'id="webpush-off"' in page and "__webpush" not in page


def test_preferences_save_the_channel(world, vapid, login_as):
    client = login_as(world.guardian)
    form = client.get(reverse("notify:preferences")).context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial not in (None, False)}
    data["quiet_start"], data["quiet_end"] = "20:00", "07:00"
    data.pop("message.new__webpush", None)
    response = client.post(reverse("notify:preferences"), data)
    assert response.status_code == 302
    assert Preference.objects.get(user=world.guardian, kind="message.new").webpush is False
    assert Preference.objects.get(user=world.guardian, kind="announcement.new").webpush is True


def test_pushes_cost_no_query_per_recipient(world, vapid, awake, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_user

    def cost(people):
        with CaptureQueriesContext(connection) as queries:
            notify(people, "message.new")
        return len(queries)

    few = [make_user(f"push_few_{i}", email=f"f{i}@example.org") for i in range(2)]
    many = [make_user(f"push_many_{i}", email=f"m{i}@example.org") for i in range(30)]
    for i, person in enumerate(few + many):
        WebPushSubscription.objects.create(
            user=person, endpoint=f"https://fcm.googleapis.com/fcm/send/{i}", p256dh="k", auth="a"
        )
    with_push = cost(many)
    assert with_push == cost(few)
    assert Delivery.objects.filter(channel="webpush").count() == 32
    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    # No query of its own: whether a device exists is read with the people (the emails still go).
    assert cost(many) == with_push
