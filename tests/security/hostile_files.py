"""Hostile files for the upload tests: executables under a harmless name, zip
bombs, polyglots, odd names, and multipart bodies cut half-way.

A zip bomb is built without ever holding its expanded bytes: a raw deflate
block of 1 MiB of zeros, closed by a full flush, is byte-for-byte the same every
time, so the member is that block repeated, then an empty final block.
"""

import functools
import io
import struct
import zlib

MiB = 1024 * 1024
GiB = 1024 * MiB

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
WINDOWS_EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"This program cannot be run in DOS mode" * 4
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
SHELL_SCRIPT = b"#!/bin/sh\x00\nrm -rf / --no-preserve-root\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
GIF_JS = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;alert(document.domain);//" + b"\x00;"
CSV = "nom;prénom;date de naissance;classe\nMARTIN;Léa;04/09/2014;6e A\n".encode()


def stored_zip(members) -> bytes:
    """A zip of (name, bytes) members, compressed the usual way."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


@functools.cache
def _zero_block() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(bytes(MiB)) + compressor.flush(zlib.Z_FULL_FLUSH)


@functools.cache
def _zero_crc(mebibytes: int) -> int:
    crc, zeros = 0, bytes(MiB)
    for _ in range(mebibytes):
        crc = zlib.crc32(zeros, crc)
    return crc


def bomb_member(size: int) -> tuple[bytes, int, int]:
    """(raw deflate data, crc32, expanded size) of `size` zero bytes (a whole MiB count)."""
    mebibytes = size // MiB
    data = _zero_block() * mebibytes + b"\x03\x00"  # an empty final fixed-Huffman block
    return data, _zero_crc(mebibytes), mebibytes * MiB


def zip_with_raw(members) -> bytes:
    """A zip file from already deflated members: (name, raw deflate, crc, size)."""
    out, central = io.BytesIO(), []
    for name, data, crc, size in members:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<I5H3I2H", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0))
        out.write(encoded + data)
        central.append(
            struct.pack(
                "<I6H3I5H2I",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    for record in central:
        out.write(record)
    out.write(struct.pack("<I4H2IH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data)


@functools.cache
def odt_bomb(size: int = 2 * GiB) -> bytes:
    """An OpenDocument text whose `mimetype` member (the one a type check reads) expands to `size`."""
    return zip_with_raw([("mimetype", *bomb_member(size)), ("content.xml", *_deflated(b"<office:document/>"))])


@functools.cache
def docx_bomb(size: int = 2 * GiB) -> bytes:
    """A Word document whose body expands to `size`: the type check never reads it, the reader's device would."""
    return zip_with_raw(
        [
            ("[Content_Types].xml", *_deflated(b"<Types/>")),
            ("word/document.xml", *bomb_member(size)),
        ]
    )


@functools.cache
def plain_zip_bomb(size: int = 2 * GiB) -> bytes:
    return zip_with_raw([("zeros.bin", *bomb_member(size))])


@functools.cache
def gzip_bomb(size: int = 2 * GiB) -> bytes:
    data, crc, length = bomb_member(size)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + data + struct.pack("<II", crc, length & 0xFFFFFFFF)


def pdf_zip_polyglot() -> bytes:
    """Opens as a PDF and, read from the end, as a zip holding an HTML page."""
    return PDF + stored_zip([("index.html", HTML)])


def pdf_html_polyglot() -> bytes:
    return PDF[:9] + HTML + PDF[9:]


def zip_pdf_polyglot() -> bytes:
    """A zip first (the magic bytes say zip), with a whole PDF inside it."""
    return stored_zip([("document.pdf", PDF), ("index.html", HTML)])


def png_zip_polyglot() -> bytes:
    return PNG + stored_zip([("payload.js", b"alert(1)")])


# Names a hostile client may send. Django's multipart parser keeps the last path
# part and drops non-printable characters; the apps must still never use a name
# as a storage key, and keep what they store short and printable.
ODD_NAMES = [
    "../../etc/passwd",
    "..\\..\\windows\\system32\\drivers\\etc\\hosts.pdf",
    "/etc/shadow",
    "....//....//etc/passwd.pdf",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd.pdf",
    "file\x00.pdf.exe",
    "devoir\x00",
    "\u202efdp.exe",  # right-to-left override: shows as "exe.pdf"
    "facture\u202egnp.js",
    "CON",
    "NUL.pdf",
    "aux.txt",
    "COM1.pdf",
    "LPT9",
    "a" * 5000 + ".pdf",
    "é" * 300 + ".pdf",
    '"><img src=x onerror=alert(1)>.pdf',
    "line\r\nContent-Type: text/html\r\n\r\n<script>.pdf",
    "space .pdf ",
    "..",
    ".",
    "",
    "C:evil.pdf",
    "\\\\server\\share\\x.pdf",
    "😀" * 80 + ".pdf",
    "x.pdf;.html",
    "x.pdf%00.html",
]


def multipart(fields: dict, files: dict, boundary: str = "ENThostileBoundary7f3a") -> tuple[bytes, str]:
    """A multipart/form-data body (fields first, then files, as browsers send a form)."""
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        parts.append(head + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
