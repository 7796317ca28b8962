"""Thin views: form → access → one action → response."""

import functools
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe

from ent import storage
from ent.directory.context_processors import request_children
from ent.errors import StorageUnavailable
from media import access, actions, files
from media.files import FileRefused
from media.forms import (
    ApproveForm,
    AssignForm,
    DirectStartForm,
    DirectVersionStartForm,
    FleetForm,
    FleetItemForm,
    IllustrationForm,
    ProposeForm,
    RejectForm,
    TabletForm,
    VersionForm,
    WithdrawForm,
)
from media.models import Fleet, Illustration, Item, UploadTicket, Version
from media.permissions import describe_all

INLINE_TYPES = ("video/", "audio/", "image/", "application/pdf")


def store_errors(view):
    """The object store down: one clear page (503), nothing half-recorded (the
    actions never leave a row without its object)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except StorageUnavailable as exc:
            if _wants_json(request):
                return JsonResponse({"error": str(exc.message)}, status=503)
            return render(request, "media/store_down.html", {"message": exc.message}, status=503)

    return wrapper


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _current_child(request):
    roles = request.user.roles
    if not roles.is_parent:
        return None
    wanted = request.GET.get("child") or request.session.get("child_id")
    try:
        wanted = int(wanted)
    except (TypeError, ValueError):
        wanted = None
    children = request_children(request)
    if wanted is not None and any(c.id == wanted for c in children):
        return next(c for c in children if c.id == wanted)
    return children[0] if children else None


# Families ------------------------------------------------------------------


@login_required
@require_GET
def mine(request):
    """'Mes ressources': a pupil's, or the selected child's for a parent; adults
    who work in a school also see a link to its catalogue and their proposals."""
    roles = request.user.roles
    child = _current_child(request)
    items = Item.objects.mine(request.user, child_id=child.id if child else None)
    clean_icons = Illustration.objects.filter(role=Illustration.Role.ICON, scan=Version.Scan.CLEAN)
    items = (
        items.select_related("current_version")
        .prefetch_related(Prefetch("illustrations", queryset=clean_icons, to_attr="icons"))
        .order_by("title", "id")
    )
    proposals = []
    if roles.teacher_school_ids:
        proposals = (
            Item.objects.filter(created_by=request.user).select_related("current_version").order_by("-created_at")[:50]
        )
    return render(
        request,
        "media/mine.html",
        {
            "items": items,
            "child": child,
            "proposals": proposals,
            "can_propose": bool(access.proposer_school_ids(request.user)),
            "can_review": bool(access.approver_school_ids(request.user)),
            "has_fleets": bool(access.fleet_school_ids(request.user) or roles.admin_territory_ids),
        },
    )


@login_required
@require_GET
def catalogue(request):
    if not (access.proposer_school_ids(request.user) or request.user.roles.staff):
        raise Http404
    items = (
        Item.objects.catalogue_for(request.user)
        .select_related("school", "current_version", "created_by")
        .order_by("status", "title", "id")
    )
    return render(request, "media/catalogue.html", {"items": items})


def _redirect_to_object(request, item, version, *, inline):
    if version is None or not version.key:
        raise Http404
    inline = inline and version.content_type.startswith(INLINE_TYPES)
    url = files.presigned_open(version.key, version.filename, version.content_type, inline=inline)
    response = redirect(url)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
@store_errors
def open_item(request, item_id):
    """Open in the browser (video, audio, PDF, images) or follow the link."""
    item = access.access_item(request.user, item_id)
    if item.kind == Item.Kind.LINK:
        if not item.is_offered and not access.can_edit_item(request.user, item):
            raise Http404
        return redirect(item.url)
    item, version = access.access_download(request.user, item.id, request.GET.get("version"))
    return _redirect_to_object(request, item, version, inline=True)


@login_required
@require_GET
@store_errors
def download(request, item_id):
    item, version = access.access_download(request.user, item_id, request.GET.get("version"))
    return _redirect_to_object(request, item, version, inline=False)


# Proposing and reviewing ---------------------------------------------------------


@login_required
@store_errors
def propose(request):
    school_ids = access.proposer_school_ids(request.user)
    if not school_ids:
        raise Http404
    form = ProposeForm(request.POST or None, request.FILES or None, school_ids=school_ids)
    if request.method == "POST" and form.is_valid():
        school = access.access_school_for_proposal(request.user, form.cleaned_data["school"].id)
        try:
            item = actions.do_propose_item(
                request.user, school, form.item_data(), uploaded=form.cleaned_data.get("file")
            )
        except FileRefused as exc:
            form.add_error("file" if form.cleaned_data["kind"] != Item.Kind.LINK else None, exc.message)
        else:
            messages.success(request, _("Your resource was sent to the référent numérique for approval."))
            return redirect("media:item", item.id)
    return render(request, "media/propose.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_GET
def item_detail(request, item_id):
    item = access.access_item(request.user, item_id)
    editor = access.can_edit_item(request.user, item)
    approver = access.can_approve(request.user, item.school_id)
    versions = list(item.versions.select_related("uploaded_by", "apk_other_item__school")) if editor else []
    for v in versions:
        v.permission_rows = describe_all(v.apk_permissions, v.apk_new_permissions) if v.apk_package else []
    decisions = item.decisions.select_related("decided_by")[:50] if editor else []
    assign_form = None
    if approver and item.status == Item.Status.APPROVED:
        initial = {
            "classes": [a.school_class_id for a in item.assignments.all() if a.school_class_id],
            "groups": [a.group_id for a in item.assignments.all() if a.group_id],
        }
        assign_form = AssignForm(school=item.school, initial=initial)
    return render(
        request,
        "media/item.html",
        {
            "item": item,
            "editor": editor,
            "approver": approver,
            "versions": versions,
            "decisions": decisions,
            "subjects": item.subjects.all(),
            "illustrations": [i for i in item.illustrations.all() if i.scan == Version.Scan.CLEAN or editor],
            "illustration_form": IllustrationForm() if editor else None,
            "version_form": VersionForm() if editor and item.has_file else None,
            "assign_form": assign_form,
            "reject_form": RejectForm(),
            "withdraw_form": WithdrawForm(),
        },
    )


def _approver_item(request, item_id):
    """Visible (else 404), and the person approves for its school (else 403)."""
    item = access.access_item(request.user, item_id)
    if not access.can_approve(request.user, item.school_id):
        raise PermissionDenied
    return item


def _version_of(item, version_id):
    if not version_id:
        return None
    return get_object_or_404(Version, id=version_id, item=item)


@login_required
@require_POST
@store_errors
def add_version(request, item_id):
    item = access.access_item(request.user, item_id)
    if not access.can_edit_item(request.user, item):
        raise PermissionDenied
    form = VersionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            actions.do_add_version(request.user, item, form.cleaned_data["file"])
        except FileRefused as exc:
            messages.error(request, exc.message)
            return redirect("media:item", item.id)
        messages.success(request, _("New version received. It will be scanned, then reviewed."))
    else:
        # Django's own words when there is one ("The submitted file is empty."), not a generic one.
        messages.error(request, form.errors.get("file", [_("Choose a file to upload.")])[0])
    return redirect("media:item", item.id)


@login_required
@require_POST
@store_errors
def add_illustration(request, item_id):
    item = access.access_item(request.user, item_id)
    if not access.can_edit_item(request.user, item):
        raise PermissionDenied
    form = IllustrationForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose an image and its kind."))
        return redirect("media:item", item.id)
    try:
        actions.do_add_illustration(request.user, item, form.cleaned_data["file"], form.cleaned_data["role"])
    except FileRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Image received. It will be shown once scanned."))
    return redirect("media:item", item.id)


@login_required
@require_GET
@store_errors
def illustration(request, illustration_id):
    """An icon or screenshot: whoever sees the item, once the image is clean."""
    picture = Illustration.objects.filter(id=access._int_id(illustration_id), scan=Version.Scan.CLEAN).first()
    if picture is None or not picture.key:
        raise Http404
    access.access_item(request.user, picture.item_id)
    response = redirect(files.presigned_open(picture.key, picture.filename, picture.content_type, inline=True))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def approve(request, item_id):
    item = _approver_item(request, item_id)
    form = ApproveForm(request.POST)
    if form.is_valid():
        try:
            actions.do_approve(
                request.user,
                item,
                _version_of(item, form.cleaned_data["version"]),
                signer_change_reason=form.cleaned_data["signer_change_reason"],
            )
        except FileRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Approved. You can now assign it to classes and tablets."))
    return redirect("media:item", item.id)


@login_required
@require_POST
def reject(request, item_id):
    item = _approver_item(request, item_id)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason: the teacher will read it."))
        return redirect("media:item", item.id)
    try:
        actions.do_reject(
            request.user, item, _version_of(item, form.cleaned_data["version"]), form.cleaned_data["reason"]
        )
    except FileRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Rejected. The teacher has been told why."))
    return redirect("media:item", item.id)


@login_required
@require_POST
def withdraw(request, item_id):
    item = _approver_item(request, item_id)
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        actions.do_withdraw(request.user, item, form.cleaned_data.get("reason", ""))
    except FileRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Withdrawn: pupils and tablets no longer get it."))
    return redirect("media:item", item.id)


@login_required
@require_POST
def assign(request, item_id):
    item = _approver_item(request, item_id)
    form = AssignForm(request.POST, school=item.school)
    if not form.is_valid():
        messages.error(request, _("Choose classes and groups of this school."))
        return redirect("media:item", item.id)
    try:
        actions.do_assign(request.user, item, list(form.cleaned_data["classes"]), list(form.cleaned_data["groups"]))
    except FileRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Assignment saved."))
    return redirect("media:item", item.id)


@login_required
@require_POST
def delete_item(request, item_id):
    item = access.access_item(request.user, item_id)
    if not access.can_edit_item(request.user, item) or (
        item.status == Item.Status.APPROVED and not access.can_approve(request.user, item.school_id)
    ):
        raise PermissionDenied
    actions.do_delete_item(request.user, item)
    messages.success(request, _("Resource deleted, with its files."))
    return redirect("media:mine")


@login_required
@require_POST
def delete_version(request, version_id):
    version = access.access_version(request.user, version_id)
    if not access.can_edit_item(request.user, version.item):
        raise PermissionDenied
    try:
        actions.do_delete_version(request.user, version)
    except FileRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Version deleted."))
    return redirect("media:item", version.item_id)


# Direct upload (JavaScript): browser → object store ------------------------------


def _json_error(message, status=400, errors=None):
    body = {"error": str(message)}
    if errors:
        body["fields"] = {k: [str(e) for e in v] for k, v in errors.items()}
    return JsonResponse(body, status=status)


@login_required
@require_POST
@store_errors
def upload_start(request):
    """Validate the form and the quotas before any byte is sent; answer with a
    presigned PUT URL. For a new version, pass `item`."""
    item = None
    if request.POST.get("item"):
        item = access.access_item(request.user, request.POST["item"])
        if not access.can_edit_item(request.user, item) or not item.has_file:
            raise PermissionDenied
        form = DirectVersionStartForm(request.POST)
    else:
        school_ids = access.proposer_school_ids(request.user)
        if not school_ids:
            raise Http404
        form = DirectStartForm(request.POST, school_ids=school_ids)
    if not form.is_valid():
        return _json_error(_("Please correct the form."), errors=form.errors)
    if item is None and form.cleaned_data["kind"] == Item.Kind.LINK:
        return _json_error(_("A web link has no file to upload."))
    school = item.school if item else form.cleaned_data["school"]
    try:
        ticket, put_url = actions.do_start_direct_upload(
            request.user,
            school,
            filename=form.cleaned_data["filename"],
            size=form.cleaned_data["size"],
            sha256=form.cleaned_data["sha256"],
            item=item,
            metadata=None if item else form.item_data(),
        )
    except FileRefused as exc:
        return _json_error(exc.message)
    return JsonResponse(
        {"put_url": put_url, "finish_url": reverse("media:upload_finish", args=[ticket.id])}, status=201
    )


@login_required
@require_POST
@store_errors
def upload_finish(request, ticket_id):
    ticket = UploadTicket.objects.filter(id=access._int_id(ticket_id), created_by=request.user).first()
    if ticket is None:
        raise Http404
    try:
        version = actions.do_finish_direct_upload(request.user, ticket)
    except FileRefused as exc:
        return _json_error(exc.message)
    messages.success(request, _("File received. It will be scanned, then reviewed."))
    return JsonResponse({"item_url": reverse("media:item", args=[version.item_id])}, status=201)


# Fleets and tablets ------------------------------------------------------------


def _fleet_schools(user):
    return access.fleet_school_ids(user)


@login_required
def fleets(request):
    visible = Fleet.objects.visible_to(request.user).select_related("school")
    school_ids = _fleet_schools(request.user)
    if not school_ids and not request.user.roles.admin_territory_ids:
        raise Http404
    form = FleetForm(request.POST or None, school_ids=school_ids)
    if request.method == "POST":
        if not school_ids:
            raise PermissionDenied
        if form.is_valid():
            try:
                fleet = actions.do_create_fleet(request.user, form.cleaned_data["school"], form.cleaned_data["name"])
            except FileRefused as exc:
                form.add_error("name", exc.message)
            else:
                return redirect("media:fleet", fleet.id)
    return render(
        request,
        "media/fleets.html",
        {"fleets": visible, "form": form if school_ids else None},
        status=400 if form.errors else 200,
    )


def _fleet_for_write(request, fleet_id):
    fleet = access.access_fleet(request.user, fleet_id)
    if fleet.school_id not in _fleet_schools(request.user):
        raise PermissionDenied
    return fleet


@login_required
@require_GET
def fleet_detail(request, fleet_id):
    fleet = access.access_fleet(request.user, fleet_id)
    can_manage = fleet.school_id in _fleet_schools(request.user)
    tablets = fleet.tablets.all()
    apps = fleet.fleet_items.select_related("item__current_version").order_by("item__title")
    repo_url = request.build_absolute_uri(reverse("media:fdroid_file", args=[fleet.repo_secret, "index-v1.jar"]))
    repo_url = repo_url.rsplit("/", 1)[0]
    # What the F-Droid app expects to scan: the address with the key's fingerprint,
    # so it trusts this repository's signature from the first fetch.
    repo_link = f"{repo_url}?fingerprint={fleet.repo_fingerprint.upper()}" if fleet.repo_fingerprint else ""
    return render(
        request,
        "media/fleet.html",
        {
            "fleet": fleet,
            "tablets": tablets,
            "apps": apps,
            "can_manage": can_manage,
            "tablet_form": TabletForm(),
            "item_form": FleetItemForm(fleet=fleet) if can_manage else None,
            "repo_url": repo_url,
            "repo_link": repo_link,
            "repo_qr_svg": _qr_svg(repo_link) if repo_link and can_manage else "",
        },
    )


def _qr_svg(text):
    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    img.save(out)
    svg = out.getvalue().decode()
    # Inline in the page: drop the XML declaration, meaningless inside HTML.
    return svg[svg.index("<svg") :]


@login_required
@require_POST
@never_cache
def tablet_enrol(request, fleet_id):
    fleet = _fleet_for_write(request, fleet_id)
    form = TabletForm(request.POST)
    form.is_valid()
    tablet, token = actions.do_enrol_tablet(request.user, fleet, form.cleaned_data.get("label", ""))
    manifest_url = request.build_absolute_uri(reverse("media:manifest"))
    setup = f"{manifest_url}#token={token}"
    # Shown once: only the token's hash is stored.
    return render(
        request,
        "media/tablet_token.html",
        {"fleet": fleet, "tablet": tablet, "token": token, "manifest_url": manifest_url, "qr_svg": _qr_svg(setup)},
    )


@login_required
@require_POST
def tablet_revoke(request, tablet_id):
    tablet = access.access_tablet(request.user, tablet_id)
    _fleet_for_write(request, tablet.fleet_id)
    actions.do_revoke_tablet(request.user, tablet)
    messages.success(request, _("Tablet revoked: its token no longer works."))
    return redirect("media:fleet", tablet.fleet_id)


@login_required
@require_POST
def fleet_add_item(request, fleet_id):
    fleet = _fleet_for_write(request, fleet_id)
    form = FleetItemForm(request.POST, fleet=fleet)
    if form.is_valid():
        try:
            actions.do_set_fleet_item(
                request.user, fleet, form.cleaned_data["item"], mandatory=form.cleaned_data["mandatory"]
            )
        except FileRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("App added to the fleet."))
    else:
        messages.error(request, _("Choose an approved app of this school."))
    return redirect("media:fleet", fleet.id)


@login_required
@require_POST
def fleet_remove_item(request, fleet_id, item_id):
    fleet = _fleet_for_write(request, fleet_id)
    item = get_object_or_404(Item, id=item_id, fleet_items__fleet=fleet)
    actions.do_remove_fleet_item(request.user, fleet, item)
    messages.success(request, _("App removed from the fleet."))
    return redirect("media:fleet", fleet.id)


@login_required
@require_POST
def fleet_build_repo(request, fleet_id):
    from django.db import transaction

    fleet = _fleet_for_write(request, fleet_id)
    # Queued, never run here: a build takes seconds (see actions.queue_repo_build).
    transaction.on_commit(lambda: actions.queue_repo_build(fleet.id), robust=True)
    messages.success(request, _("The F-Droid repository is being built; it takes a minute."))
    return redirect("media:fleet", fleet.id)


# The tablets' own endpoints (device token, no session) -----------------------


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
@store_errors
def tablet_apk(request, version_id):
    tablet = _tablet(request)
    if tablet is None:
        return _unauthorized()
    version = actions.tablet_may_download(tablet, access._int_id(version_id))
    if version is None:
        raise Http404
    return redirect(files.presigned_open(version.key, version.filename, version.content_type, inline=False))


FDROID_INDEX_MAX_BYTES = 20 * 1024 * 1024


@require_safe
@store_errors
def fdroid_file(request, secret, name):
    """The fleet's F-Droid repository; the client knows only the URL with the
    fleet's secret. Index files (entry.jar, entry.json, index-v2.json,
    index-v1.jar, diffs, icons) are served here, with an ETag: fdroidserver's
    client does not follow redirects. APKs are short-lived presigned redirects
    (both clients follow those for files), and only while the app is still
    offered in this fleet: a withdrawal stops them at once."""
    from media import fdroid

    fleet = Fleet.objects.filter(repo_secret=secret).first()
    if fleet is None or fleet.repo_built_at is None or not fdroid.SAFE_PATH.match(name) or ".." in name:
        raise Http404
    if name.endswith(".apk"):
        version = actions.fdroid_apk(fleet, name)
        if version is None:
            raise Http404
        return redirect(storage.presigned_get(version.key, filename=name, content_type=version.content_type))
    if not fleet.repo_build:
        raise Http404
    key = fdroid.build_key(fleet, fleet.repo_build, name)
    info = storage.stat(key)
    if info is None or info.size > FDROID_INDEX_MAX_BYTES:
        raise Http404
    # The object's ETag changes with its bytes; the build id with each publication.
    etag = f'"{fleet.repo_build}-{(info.etag or "").strip(chr(34))}"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        stream = storage.get_stream(key)
        if stream is None:
            raise Http404
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
