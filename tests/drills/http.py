"""A tiny HTTP client for the drills: no redirects followed, a session cookie,
the CSRF pair, a timeout on everything."""

import http.client
import urllib.parse

CSRF = "drillcsrf0123456789abcdefghijklm"  # 32 characters: a valid unmasked CSRF secret


def request(base_url, method, path, *, cookie, data=None, timeout=10):
    """The response status, or None when the server could not be reached."""
    parsed = urllib.parse.urlparse(base_url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    headers = {"Cookie": f"sessionid={cookie}; csrftoken={CSRF}"}
    body = None
    if data is not None:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": CSRF, **data})
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        conn.close()
