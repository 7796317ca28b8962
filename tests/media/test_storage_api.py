"""ent.storage's public parts media uses instead of copies of its internals:
the streamed PUT, the listing with dates, inline links, fail()."""

import io
import urllib.request

import pytest

from ent import storage
from ent.errors import StorageUnavailable


def test_streamed_put_lists_and_links_inline(s3):
    data = b"%PDF-1.4 streamed\n" * 1000
    storage.put_streaming("media/t/streamed", io.BytesIO(data), len(data), "application/pdf")
    assert storage.stat("media/t/streamed").size == len(data)
    listed = dict(storage.list_objects("media/t/"))
    assert list(listed) == ["media/t/streamed"] and listed["media/t/streamed"] is not None
    url = storage.presigned_get("media/t/streamed", filename="a.pdf", content_type="application/pdf", inline=True)
    with urllib.request.urlopen(url, timeout=10) as got:  # noqa: S310 - the test S3 server
        assert got.headers["Content-Disposition"].startswith("inline;")
        assert got.read() == data
    url = storage.presigned_get("media/t/streamed", filename="a.pdf")
    with urllib.request.urlopen(url, timeout=10) as got:  # noqa: S310 - the test S3 server
        assert got.headers["Content-Disposition"].startswith("attachment;")


def test_a_store_down_is_one_domain_error(s3, settings):
    settings.S3_ENDPOINT = "127.0.0.1:9"  # nothing listens there
    storage.reset_clients()
    try:
        with pytest.raises(StorageUnavailable):
            storage.put_streaming("media/t/x", io.BytesIO(b"x"), 1)
        with pytest.raises(StorageUnavailable):
            list(storage.list_objects("media/"))
    finally:
        storage.reset_clients()
    with pytest.raises(StorageUnavailable):
        storage.fail("get", RuntimeError("boom"))
