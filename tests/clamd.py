"""A real clamd for the tests, with test signatures only (no freshclam, no
network): the EICAR test string anywhere in a file (a body signature, so it is
found inside a PDF, a CSV or a zipped office document too), and two whole-file
hashes.

tests/conftest.py exposes the fixtures `clamd_server` (session) and `av`
(settings pointed at it), and gives `av` to every test that uses the object
store: uploads stay held until the antivirus has seen them.
"""

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
# A "PDF" that the test signature database calls infected (media's tests use it).
INFECTED_PDF = b"%PDF-1.4\n% ENT test: this file carries the test signature\n%%EOF\n"


def _md5_sig(data: bytes, name: str) -> str:
    return f"{hashlib.md5(data).hexdigest()}:{len(data)}:{name}\n"  # noqa: S324 - clamd's hash format


def _body_sig(data: bytes, name: str) -> str:
    # .ndb: name:target type (0 = any file):offset (* = anywhere):hex bytes
    return f"{name}:0:*:{data.hex()}\n"


def clamd_binary() -> str | None:
    found = shutil.which("clamd") or "/usr/sbin/clamd"
    return found if os.path.exists(found) else None


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
        (db / "test.ndb").write_text(_body_sig(EICAR, "Test.EICAR.Body"), encoding="ascii")
        conf = Path(self.dir) / "clamd.conf"
        conf.write_text(
            f"LocalSocket {self.socket}\nDatabaseDirectory {db}\nForeground yes\nStreamMaxLength 100M\n"
            f"LogFile {self.dir}/log\nPidFile {self.dir}/pid\n",
            encoding="ascii",
        )
        self.proc = subprocess.Popen(
            [clamd_binary(), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
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
