"""clamd's INSTREAM protocol, streamed from a file-like object.

Small on purpose: the `clamd` package sends 1 KB chunks with socket.send (which
may send less than asked); this one sends 256 KB chunks with sendall.
"""

import socket
import struct

from django.conf import settings

CHUNK = 256 * 1024


class ScannerUnavailable(Exception):
    pass


def configured() -> bool:
    return bool(settings.CLAMD_SOCKET or settings.CLAMD_HOST)


def _connect(timeout):
    if settings.CLAMD_SOCKET:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        address = settings.CLAMD_SOCKET
    elif settings.CLAMD_HOST:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        address = (settings.CLAMD_HOST, settings.CLAMD_PORT)
    else:
        raise ScannerUnavailable("no clamd configured (CLAMD_SOCKET or CLAMD_HOST)")
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except OSError as exc:
        sock.close()
        raise ScannerUnavailable(f"clamd unreachable: {exc}") from exc
    return sock


def _read_reply(sock) -> str:
    data = b""
    while not data.endswith(b"\0"):
        part = sock.recv(4096)
        if not part:
            break
        data += part
    return data.rstrip(b"\0").decode("utf-8", "replace")


def ping(timeout=2) -> bool:
    try:
        sock = _connect(timeout)
    except ScannerUnavailable:
        return False
    try:
        sock.sendall(b"zPING\0")
        return _read_reply(sock) == "PONG"
    except OSError:
        return False
    finally:
        sock.close()


def scan_stream(stream, timeout=300) -> tuple[bool, str]:
    """(clean, signature). Raises ScannerUnavailable when no verdict was reached
    (clamd down, stream too long for clamd's StreamMaxLength, an error reply)."""
    sock = _connect(timeout)
    try:
        sock.sendall(b"zINSTREAM\0")
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            sock.sendall(struct.pack("!L", len(chunk)) + chunk)
        sock.sendall(struct.pack("!L", 0))
        reply = _read_reply(sock)
    except OSError as exc:
        raise ScannerUnavailable(f"clamd stream failed: {exc}") from exc
    finally:
        sock.close()
    # "stream: OK", "stream: Eicar-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
    if reply.endswith(" FOUND"):
        return False, reply.split(": ", 1)[-1][: -len(" FOUND")].strip()
    if reply.endswith(": OK"):
        return True, ""
    raise ScannerUnavailable(f"clamd answered {reply!r}")
