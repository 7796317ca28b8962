"""Container health check: GET a URL of this container and exit 0 only on 200.

Sends the first ALLOWED_HOSTS entry as Host, since Django rejects requests for
other hosts (such as 127.0.0.1) in production. Standard library only.
"""

import http.client
import os
import sys
from urllib.parse import urlsplit


def main(url: str) -> int:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0].lstrip(".") if hosts and hosts[0] != "*" else "localhost"
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=4)
    try:
        conn.request("GET", parts.path or "/", headers={"Host": host})
        response = conn.getresponse()
        body = response.read(500).decode(errors="replace")
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    if response.status != 200:
        print(f"unhealthy: {response.status} {body}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
