"""The tablets' own JSON API: a device token (Bearer), no session. The manifest
says which apps the fleet's tablets must have; each APK is a short-lived
presigned redirect, only while the app is offered in the tablet's fleet."""

from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from media import access, actions, files


def _unauthorized():
    # Nothing disclosed: the same empty 401 for a wrong, revoked or missing token.
    response = HttpResponse(status=401)
    response["WWW-Authenticate"] = 'Bearer realm="ent-tablets"'
    return response


def _tablet(request):
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.startswith("Bearer ") else ""
    return access.tablet_for_token(token)


@require_GET
def manifest(request):
    tablet = _tablet(request)
    if tablet is None:
        return _unauthorized()
    fleet = tablet.fleet
    etag = fleet.etag
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        base = request.build_absolute_uri("/").rstrip("/")
        response = JsonResponse(actions.build_manifest(fleet, base))
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def tablet_apk(request, version_id):
    tablet = _tablet(request)
    if tablet is None:
        return _unauthorized()
    version = access.access_tablet_version(tablet, version_id)
    return redirect(files.presigned_open(version.key, version.filename, version.content_type, inline=False))
