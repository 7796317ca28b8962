"""The object store (S3 API through the minio SDK).

One lazily built client. A missing object is None; any other failure is logged
and raised as StorageUnavailable so callers show one clear message and record
nothing half-done.
"""

import logging
from datetime import timedelta
from functools import lru_cache

import urllib3
from django.conf import settings
from minio import Minio
from minio.error import S3Error

from ent.errors import StorageUnavailable

log = logging.getLogger(__name__)

# The SDK retries for many seconds by default; a page should fail fast instead.
_HTTP = urllib3.PoolManager(
    timeout=urllib3.Timeout(connect=2, read=30),
    retries=urllib3.Retry(total=1, backoff_factor=0.1, status_forcelist=(502, 503, 504)),
    maxsize=10,
)


@lru_cache(maxsize=1)
def client() -> Minio:
    return Minio(
        settings.S3_ENDPOINT,
        access_key=settings.S3_ACCESS_KEY,
        secret_key=settings.S3_SECRET_KEY,
        secure=settings.S3_SECURE,
        region=settings.S3_REGION,
        http_client=_HTTP,
    )


@lru_cache(maxsize=1)
def public_client() -> Minio:
    """Signs URLs for the address browsers use. Signing is local: no request."""
    return Minio(
        settings.S3_PUBLIC_ENDPOINT,
        access_key=settings.S3_ACCESS_KEY,
        secret_key=settings.S3_SECRET_KEY,
        secure=settings.S3_PUBLIC_SECURE,
        region=settings.S3_REGION,
    )


def reset_clients():
    """For tests that point the settings at another server."""
    client.cache_clear()
    public_client.cache_clear()


def fail(action: str, exc: Exception):
    """Log a failure of the store and raise the one domain error (the pages say
    "try again later", nothing is recorded). For callers that talk to the store
    in their own way (a listing, a stream read) and fail the same way."""
    log.error("object store %s failed: %s", action, exc)
    raise StorageUnavailable() from exc


def ensure_bucket() -> None:
    try:
        if not client().bucket_exists(settings.S3_BUCKET):
            client().make_bucket(settings.S3_BUCKET)
    except S3Error as exc:
        if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            fail("ensure_bucket", exc)
    except Exception as exc:  # network errors of urllib3
        fail("ensure_bucket", exc)


def ping() -> bool:
    try:
        client().bucket_exists(settings.S3_BUCKET)
    except Exception as exc:
        log.warning("object store ping failed: %s", exc)
        return False
    return True


def put_stream(key: str, stream, length: int, content_type="application/octet-stream") -> None:
    """Upload from a file-like object without reading it all into memory
    (the SDK sends parts of part_size)."""
    try:
        client().put_object(
            settings.S3_BUCKET, key, stream, length, content_type=content_type, part_size=10 * 1024 * 1024
        )
    except Exception as exc:
        fail("put", exc)


SINGLE_PUT_LIMIT = 5 * 1024**3  # S3's limit for one PUT
# The streamed PUT's own pool: the same fail-fast timeouts, and never a retry
# (a half-read stream cannot be sent again).
_PUT_HTTP = urllib3.PoolManager(timeout=urllib3.Timeout(connect=2, read=30), retries=False, maxsize=10)


def put_streaming(key: str, reader, length: int, content_type="application/octet-stream") -> None:
    """Stream a file to the store in one PUT, in 8 KB blocks, never whole in memory.

    put_stream goes through the SDK's multipart upload, which holds 10 MB parts
    in memory: measured +50 MB of resident memory for a 200 MB file
    (bench/media_bench.py). A PUT to a URL the server signs itself (signing is
    local) streams the file instead (+0 MB). Over 5 GB, multipart it is."""
    if length > SINGLE_PUT_LIMIT:
        put_stream(key, reader, length, content_type=content_type)
        return
    try:
        url = client().presigned_put_object(settings.S3_BUCKET, key, expires=timedelta(hours=1))
        response = _PUT_HTTP.request(
            "PUT",
            url,
            body=reader,
            headers={"Content-Length": str(length), "Content-Type": content_type},
            retries=False,
        )
    except Exception as exc:
        fail("put", exc)
    if response.status != 200:
        fail("put", RuntimeError(f"HTTP {response.status}: {response.data[:200]!r}"))


def stat(key: str):
    try:
        return client().stat_object(settings.S3_BUCKET, key)
    except S3Error as exc:
        if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
            return None
        fail("stat", exc)
    except Exception as exc:
        fail("stat", exc)


def get_stream(key: str):
    """A streaming response, or None if missing. Caller must close and release_conn."""
    try:
        return client().get_object(settings.S3_BUCKET, key)
    except S3Error as exc:
        if exc.code in ("NoSuchKey", "NoSuchObject"):
            return None
        fail("get", exc)
    except Exception as exc:
        fail("get", exc)


def delete(key: str) -> None:
    try:
        client().remove_object(settings.S3_BUCKET, key)
    except Exception as exc:
        fail("delete", exc)


def list_keys(prefix: str = ""):
    for key, _modified in list_objects(prefix):
        yield key


def list_objects(prefix: str = ""):
    """(key, last_modified) of every object under prefix (the orphan sweeps)."""
    try:
        for obj in client().list_objects(settings.S3_BUCKET, prefix=prefix, recursive=True):
            yield obj.object_name, obj.last_modified
    except Exception as exc:
        fail("list", exc)


def presigned_get(
    key: str,
    *,
    filename: str | None = None,
    seconds: int | None = None,
    content_type: str | None = None,
    inline: bool = False,
) -> str:
    """A short-lived download URL. Call only after the access check. `inline`:
    for what the browser shows itself (video, audio, images, PDF); S3 answers
    range requests on it."""
    headers = {}
    if filename:
        safe = filename.replace('"', "").replace("\\", "")
        disposition = "inline" if inline else "attachment"
        headers["response-content-disposition"] = f'{disposition}; filename="{safe}"'
    if content_type:
        headers["response-content-type"] = content_type
    return public_client().presigned_get_object(
        settings.S3_BUCKET,
        key,
        expires=timedelta(seconds=seconds or settings.S3_PRESIGN_SECONDS),
        response_headers=headers or None,
    )


def presigned_put(key: str, *, seconds: int = 3600) -> str:
    return public_client().presigned_put_object(settings.S3_BUCKET, key, expires=timedelta(seconds=seconds))
