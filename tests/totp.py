"""RFC 6238 (TOTP) as an authenticator app computes it: 30 s steps, SHA-1, 6
digits (allauth's defaults). The stdlib only, so the tests depend on no
library's internals to type a code."""

import base64
import hashlib
import hmac
import struct
import time


def totp_now(secret: str, at=None, *, digits: int = 6) -> str:
    """The code for the base32 `secret` at the Unix time `at` (now by default)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{value:0{digits}d}"
