"""Helpers for the file gate's tests on every surface (tests/*/test_file_gate.py):
infected files of each accepted type, a zip bomb named .docx, and the checks
"held, never downloadable, owner told" and "offered, for the right people only"."""

import io
import urllib.request
import zipfile

from ent.files import ScanState
from ent.notify.models import Notification
from tests.clamd import EICAR
from tests.security import hostile_files as hf

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# A PDF carrying the EICAR test string in its body (a comment): clamd's body
# signature finds it wherever it is.
EICAR_PDF = b"%PDF-1.4\n% " + EICAR + b"\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def docx(body: bytes = b"<w:document/>") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", body)
    return buffer.getvalue()


def eicar_docx() -> bytes:
    """A Word document whose body is the EICAR string: clamd opens the zip."""
    return docx(EICAR)


def docx_bomb() -> bytes:
    """About 2 MB, declaring a 2 GiB body."""
    return hf.docx_bomb()


def infected_notices(user):
    return list(Notification.objects.filter(recipient=user, kind="resource.infected"))


def assert_never_downloadable(client, login_as, url, people, *, state=ScanState.INFECTED):
    """403 for everyone who may see the row (the owner too), with the reason on
    the page, and no presigned link anywhere in the answer."""
    for person in people:
        login_as(person)
        response = client.get(url)
        assert response.status_code == 403, (person, response.status_code)
        text = response.content.decode()
        assert "X-Amz-Signature" not in text and "Location" not in response.headers
        if state == ScanState.INFECTED:
            assert "antivirus found a threat" in text or "antivirus a trouvé une menace" in text, text[-600:]
        else:
            assert "being checked by the antivirus" in text or "en cours de vérification par l’antivirus" in text


def assert_downloads(client, login_as, url, people, content: bytes):
    for person in people:
        login_as(person)
        response = client.get(url)
        assert response.status_code == 302, (person, response.status_code)
        assert "no-store" in response["Cache-Control"]
        with urllib.request.urlopen(response["Location"], timeout=10) as got:  # noqa: S310 - the test S3 server
            assert got.read() == content


def assert_not_found(client, login_as, url, people):
    for person in people:
        login_as(person)
        assert client.get(url).status_code == 404, person
