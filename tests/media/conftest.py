"""Fixtures for the media tests: a real clamd with test signatures, the S3 server
(tests/conftest.py), small files of each kind."""

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

APKS = Path(__file__).parent / "apks"
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# A "PDF" that the test signature database calls infected.
INFECTED_PDF = b"%PDF-1.4\n% ENT test: this file carries the test signature\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _md5_sig(data: bytes, name: str) -> str:
    return f"{hashlib.md5(data).hexdigest()}:{len(data)}:{name}\n"  # noqa: S324 - clamd's hash format


class Clamd:
    def __init__(self):
        # Unix socket paths must stay under 108 characters.
        self.dir = tempfile.mkdtemp(prefix="entav-", dir="/tmp")
        self.socket = os.path.join(self.dir, "s")
        self.proc = None

    def start(self):
        db = Path(self.dir) / "db"
        db.mkdir()
        (db / "test.hdb").write_text(
            _md5_sig(EICAR, "Test.EICAR") + _md5_sig(INFECTED_PDF, "Test.Infected.PDF"), encoding="ascii"
        )
        conf = Path(self.dir) / "clamd.conf"
        conf.write_text(
            f"LocalSocket {self.socket}\nDatabaseDirectory {db}\nForeground yes\nStreamMaxLength 100M\n"
            f"LogFile {self.dir}/log\nPidFile {self.dir}/pid\n",
            encoding="ascii",
        )
        clamd = shutil.which("clamd") or "/usr/sbin/clamd"
        self.proc = subprocess.Popen(
            [clamd, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"clamd exited: {(Path(self.dir) / 'log').read_text(errors='replace')}")
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.settimeout(1)
                    s.connect(self.socket)
                    s.sendall(b"zPING\0")
                    if s.recv(16).startswith(b"PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("clamd did not answer within 30 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def clamd_server():
    if not shutil.which("clamd") and not os.path.exists("/usr/sbin/clamd"):
        pytest.fail("clamd is missing: apt-get install -y --no-install-recommends clamav-daemon clamav")
    server = Clamd()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def av(clamd_server, settings):
    settings.CLAMD_SOCKET = clamd_server.socket
    settings.CLAMD_HOST = ""
    return clamd_server


@pytest.fixture
def store(s3, av):
    """The object store and the scanner, both real."""
    return s3


def upload(data: bytes, name="file.pdf"):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def apk_bytes(name):
    return (APKS / name).read_bytes()


@pytest.fixture(autouse=True)
def builds_in_line(settings):
    """Eager Celery runs repository builds in a thread (media.actions.repository.queue_repo_build):
    the tests run them in line, where they can see the outcome."""
    settings.MEDIA_FDROID_BUILD_IN_THREAD = False


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the French catalogue is checked in test_i18n)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
