"""The fleets' F-Droid repositories, as the F-Droid clients fetch them: the URL
holds the fleet's secret, the only credential (no session, no token)."""

from django.http import HttpResponseNotModified, StreamingHttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_safe

from ent import storage
from media import access, files


@require_safe
def fdroid_file(request, secret, name):
    """The fleet's F-Droid repository. Index files (entry.jar, entry.json,
    index-v2.json, index-v1.jar, diffs, icons) are served here, with an ETag:
    fdroidserver's client does not follow redirects. APKs are short-lived
    presigned redirects (both clients follow those for files), and only while
    the app is still offered in this fleet: a withdrawal stops them at once."""
    fleet = access.access_fdroid_repo(secret, name)
    if name.endswith(".apk"):
        version = access.access_fdroid_apk(fleet, name)
        return redirect(storage.presigned_get(version.key, filename=name, content_type=version.content_type))
    key, info = access.access_fdroid_index(fleet, name)
    # The object's ETag changes with its bytes; the build id with each publication.
    etag = f'"{fleet.repo_build}-{(info.etag or "").strip(chr(34))}"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        stream = access.open_fdroid_index(key)
        response = StreamingHttpResponse(
            _stream_object(stream), content_type=info.content_type or "application/octet-stream"
        )
        response["Content-Length"] = str(info.size)
    response["ETag"] = etag
    # Clients poll; a cache may keep it a minute, then must ask again (304 when unchanged).
    response["Cache-Control"] = "public, max-age=60, must-revalidate"
    return response


def _stream_object(response):
    try:
        yield from response.stream(files.CHUNK)
    finally:
        response.close()
        response.release_conn()
