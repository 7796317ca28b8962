import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ent.notify import sms


@pytest.fixture(autouse=True)
def sms_outbox():
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def quiet_free(settings):
    """No night window, so a test at any hour of the day is about what it says."""
    settings.NOTIFY_NIGHT_START_HOUR = 0
    settings.NOTIFY_NIGHT_END_HOUR = 0


class FakeGateway:
    """A real HTTP server in a thread that answers like an SMS provider. `statuses`
    is the list of status codes to answer, in order; the last one repeats."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                gateway.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                status = gateway.statuses[min(len(gateway.requests) - 1, len(gateway.statuses) - 1)]
                payload = json.dumps({"id": f"msg-{len(gateway.requests)}"} if status < 300 else {"error": "busy"})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_port}/v1/sms"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings):
    """Point the http SMS backend at a fake gateway: gateway([503, 200])."""
    started = []

    def _start(statuses):
        gw = FakeGateway(statuses).__enter__()
        started.append(gw)
        settings.SMS_BACKEND = "http"
        settings.SMS_API_URL = gw.url
        settings.SMS_API_KEY = "test-key"
        settings.SMS_SENDER = "ENTTEST"
        return gw

    yield _start
    for gw in started:
        gw.__exit__(None, None, None)


class FakeSmtp:
    """A minimal real SMTP server in a thread. `replies` gives, per message, the
    answer to the end of DATA (e.g. "451 4.3.0 try later", "250 OK"); the last repeats."""

    def __init__(self, replies):
        import socketserver

        self.replies = list(replies)
        self.messages = []
        smtp = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line):
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self):
                self.reply("220 fake ESMTP")
                data, lines = False, []
                for raw in self.rfile:
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    if data:
                        if line == ".":
                            data = False
                            smtp.messages.append("\n".join(lines))
                            self.reply(smtp.replies[min(len(smtp.messages) - 1, len(smtp.replies) - 1)])
                            lines = []
                        else:
                            lines.append(line)
                        continue
                    verb = line[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 fake")
                    elif verb == "DATA":
                        data = True
                        self.reply("354 go ahead")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("250 OK")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self):
        return self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp_server(settings):
    servers = []

    def _start(replies):
        server = FakeSmtp(replies)
        servers.append(server)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        return server

    yield _start
    for server in servers:
        server.close()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): notify(...)`: the block's on_commit callbacks (emails,
    SMS, pushes) run at its end, as when the caller's transaction commits.
    (Tests run inside a transaction that never commits.)"""
    return lambda: django_capture_on_commit_callbacks(execute=True)
