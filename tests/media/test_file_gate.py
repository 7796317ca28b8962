"""Media's files pass the one file gate's checker (ent/files.py), with the media
surface's own zip bounds: apps and media-heavy documents are big."""

import io
import zipfile
from types import SimpleNamespace

import pytest

from ent import files as gate
from media import files as media_files

MiB = gate.MiB


def member(expanded, packed):
    return SimpleNamespace(file_size=expanded, compress_size=packed)


def test_media_zip_bounds_are_not_the_documents():
    # A 300 MiB game packed to 30 MiB: too big for an office document, a fine app.
    game = [member(300 * MiB, 30 * MiB)]
    assert gate.is_zip_bomb(game, 30 * MiB)
    assert not gate.is_zip_bomb(game, 30 * MiB, gate.MEDIA_FILE.zip_bounds)
    # Many members (an app's resources): no member bound for media.
    many = [member(1000, 900)] * (gate.ZIP_MAX_MEMBERS + 1)
    assert gate.is_zip_bomb(many, 10 * MiB)
    assert not gate.is_zip_bomb(many, 10 * MiB, gate.MEDIA_FILE.zip_bounds)
    # Past 1 GiB at more than 20 times its size: a bomb for media too.
    bomb = [member(2048 * MiB, 50 * MiB)]
    assert gate.is_zip_bomb(bomb, 50 * MiB, gate.MEDIA_FILE.zip_bounds)
    assert not gate.is_zip_bomb([member(2048 * MiB, 200 * MiB)], 200 * MiB, gate.MEDIA_FILE.zip_bounds)


def apk_shaped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00")
        z.writestr("resources.arsc", b"\x02\x00\x0c\x00")
        z.writestr("classes.dex", b"dex\n035\x00")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content, kind, content_type",
    [
        (b"\x1a\x45\xdf\xa3" + b"\x00" * 40, "video", "video/webm"),
        (b"OggS" + b"\x00" * 40, "audio", "audio/ogg"),
        (b"fLaC" + b"\x00" * 40, "audio", "audio/flac"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 40, "audio", "audio/wav"),
        (b"\x00\x00\x00\x20ftypM4B " + b"\x00" * 40, "audio", "audio/mp4"),
        (b"\x00\x00\x00\x20ftypisom" + b"\x00" * 40, "video", "video/mp4"),
        (b"\xff\xe3\x18\xc4" + b"\x00" * 40, "audio", "audio/mpeg"),
        (b"GIF89a" + b"\x00" * 40, "image", "image/gif"),
        (apk_shaped(), "apk", "application/vnd.android.package-archive"),
    ],
)
def test_media_kinds_by_the_gates_checker(tmp_path, content, kind, content_type):
    path = tmp_path / "f"
    path.write_bytes(content)
    assert media_files.sniff(path) == media_files.Sniffed(kind, content_type)
    # The gate itself tells the same type; only media accepts it as such.
    assert gate.sniff(io.BytesIO(content), len(content)).content_type == content_type


@pytest.mark.parametrize(
    "content",
    [
        "nom;prénom\n".encode("utf-16"),  # "\xff\xfe": text, not an MPEG frame
        b"Bonjour\n",
        b"MZ\x90\x00" + b"\x00" * 40,
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40,
    ],
)
def test_what_media_does_not_accept(tmp_path, content):
    path = tmp_path / "f"
    path.write_bytes(content)
    assert media_files.sniff(path) is None


def test_every_type_media_accepts_has_a_kind():
    assert set(media_files.KINDS) == gate.MEDIA_FILE.types
