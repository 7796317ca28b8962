"""The SMS gateway: one small interface, a console backend for development, a
locmem backend for tests, and an adapter for the HTTP APIs French SMS providers
share (JSON POST, bearer API key, sender, list of recipients, message).

Settings: SMS_BACKEND ("console", "locmem", "http" or a dotted path),
SMS_API_URL, SMS_API_KEY, SMS_SENDER.
"""

import json
import logging
import sys
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

from ent import phones

logger = logging.getLogger(__name__)

# Messages sent through the locmem backend, like django.core.mail.outbox.
outbox: list[dict] = []


class SmsError(Exception):
    """The gateway refused the message for good (bad number, bad key...)."""


class SmsTransientError(SmsError):
    """Worth retrying later: the gateway is down, overloaded or unreachable."""


def normalize_phone(raw: str) -> str:
    """E.164 for the gateway (ent/phones.py: overseas and foreign numbers too). A
    number no gateway could reach is a final failure; its digits stay out of the
    message, which ends up in Delivery.error."""
    try:
        return phones.normalize_phone(raw)
    except phones.InvalidPhoneNumber:
        raise SmsError("not a usable phone number") from None


class BaseSmsBackend:
    def send(self, phone: str, message: str) -> str:
        """Send one message; return the gateway's message id (or "")."""
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    def send(self, phone, message):
        sys.stdout.write(f"SMS to {normalize_phone(phone)} from {settings.SMS_SENDER}: {message}\n")
        return ""


class LocmemSmsBackend(BaseSmsBackend):
    def send(self, phone, message):
        outbox.append({"to": normalize_phone(phone), "sender": settings.SMS_SENDER, "message": message})
        return str(len(outbox))


class HttpSmsBackend(BaseSmsBackend):
    """POST {"sender", "recipients": [...], "message"} with Authorization: Bearer <key>.
    2xx is sent; 408, 429 and 5xx or no answer are transient; other 4xx are final."""

    timeout = 10

    def __init__(self, url=None, api_key=None, sender=None):
        self.url = url or settings.SMS_API_URL
        self.api_key = api_key or settings.SMS_API_KEY
        self.sender = sender or settings.SMS_SENDER
        if not self.url.startswith(("https://", "http://")):
            raise SmsError("SMS_API_URL must be an http(s) URL")

    def send(self, phone, message):
        payload = {"sender": self.sender, "recipients": [normalize_phone(phone)], "message": message}
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            self.url,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {self.api_key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(64 * 1024)
        except urllib.error.HTTPError as exc:
            detail = exc.read(2000).decode("utf-8", "replace")
            if exc.code in (408, 429) or exc.code >= 500:
                raise SmsTransientError(f"gateway answered {exc.code}: {detail}") from None
            raise SmsError(f"gateway refused the message ({exc.code}): {detail}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise SmsTransientError(f"gateway unreachable: {exc}") from None
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return ""
        return str(data.get("id") or data.get("message_id") or "") if isinstance(data, dict) else ""


BACKENDS = {
    "console": ConsoleSmsBackend,
    "locmem": LocmemSmsBackend,
    "http": HttpSmsBackend,
}


def get_backend() -> BaseSmsBackend:
    name = settings.SMS_BACKEND
    cls = BACKENDS.get(name) or import_string(name)
    return cls()


def send_sms(phone: str, message: str) -> str:
    return get_backend().send(phone, message)
