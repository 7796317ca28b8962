"""The resources themselves: families' 'Mes ressources', the school catalogue, an
item's page, opening and downloading, proposing, new versions and images,
deleting."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ent import files as gate
from ent.directory.context_processors import request_children
from ent.errors import reported
from media import access, actions, files
from media.forms import (
    AssignForm,
    IllustrationForm,
    ProposeForm,
    RejectForm,
    VersionForm,
    WithdrawForm,
)
from media.models import Item
from media.permissions import describe_all

INLINE_TYPES = ("video/", "audio/", "image/", "application/pdf")


def _current_child(request):
    """The child a parent looks at: `?child=` when it is one of theirs, else the
    one chosen in the header, else the first."""
    wanted = request.GET.get("child") or request.session.get("child_id")
    return access.shown_child(request.user, wanted, children=lambda: request_children(request))


# Families ------------------------------------------------------------------


@login_required
@require_GET
def mine(request):
    """'Mes ressources': a pupil's, or the selected child's for a parent; adults
    who work in a school also see a link to its catalogue and their proposals."""
    user = request.user
    child = _current_child(request)
    items = access.resources_of(user, child).select_related("current_version").with_icons().order_by("title", "id")
    proposals = access.proposals_of(user).select_related("current_version").order_by("-created_at")[:50]
    return render(
        request,
        "media/mine.html",
        {
            "items": items,
            "child": child,
            "proposals": proposals,
            "can_propose": bool(access.proposer_school_ids(user)),
            "can_review": bool(access.approver_school_ids(user)),
            "has_fleets": access.sees_fleets(user),
        },
    )


@login_required
@require_GET
def catalogue(request):
    items = (
        access.access_catalogue(request.user)
        .select_related("school", "current_version", "created_by")
        .order_by("status", "title", "id")
    )
    return render(request, "media/catalogue.html", {"items": items})


def _redirect_to_object(request, version, *, inline):
    """`version` comes from access.access_download: there is one, and an offered
    one has its file stored."""
    if not version.is_offered:
        # Held or infected: the page every upload surface shows (403, why, no link).
        return gate.unavailable(request, version, version.filename)
    inline = inline and version.content_type.startswith(INLINE_TYPES)
    response = redirect(files.presigned_open(version.key, version.filename, version.content_type, inline=inline))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def open_item(request, item_id):
    """Open in the browser (video, audio, PDF, images) or follow the link."""
    item = access.access_openable(request.user, item_id)
    if item.kind == Item.Kind.LINK:
        return redirect(item.url)
    _item, version = access.access_download(request.user, item.id, request.GET.get("version"))
    return _redirect_to_object(request, version, inline=True)


@login_required
@require_GET
def download(request, item_id):
    _item, version = access.access_download(request.user, item_id, request.GET.get("version"))
    return _redirect_to_object(request, version, inline=False)


@login_required
@require_GET
def illustration(request, illustration_id):
    """An icon or screenshot: whoever sees the item, once the image is clean."""
    picture = access.access_illustration(request.user, illustration_id)
    response = redirect(files.presigned_open(picture.key, picture.filename, picture.content_type, inline=True))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def item_detail(request, item_id):
    item = access.access_item(request.user, item_id)
    # Which forms and details to show; every action checks again on its own.
    editor = access.can_edit_item(request.user, item)
    approver = access.can_approve(request.user, item.school_id)
    versions = list(item.versions_for_review()) if editor else []
    for v in versions:
        v.permission_rows = describe_all(v.apk_permissions, v.apk_new_permissions) if v.apk_package else []
    decisions = item.recent_decisions() if editor else []
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
            "illustrations": access.shown_illustrations(item, editor=editor),
            "illustration_form": IllustrationForm() if editor else None,
            "version_form": VersionForm() if editor and item.has_file else None,
            "assign_form": assign_form,
            "reject_form": RejectForm(),
            "withdraw_form": WithdrawForm(),
        },
    )


# Proposing, versions, images, deleting --------------------------------------------


@login_required
def propose(request):
    school_ids = access.access_proposal_schools(request.user)
    form = ProposeForm(request.POST or None, request.FILES or None, school_ids=school_ids)
    if request.method == "POST" and form.is_valid():
        school = access.access_school_for_proposal(request.user, form.cleaned_data["school"].id)
        field = "file" if form.cleaned_data["kind"] != Item.Kind.LINK else None
        success = _("Your resource was sent to the référent numérique for approval.")
        with reported(request, success, form=form, field=field) as outcome:
            item = actions.do_propose_item(
                request.user, school, form.item_data(), uploaded=form.cleaned_data.get("file")
            )
        if outcome.ok:
            return redirect("media:item", item.id)
    return render(request, "media/propose.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def add_version(request, item_id):
    item = access.access_item(request.user, item_id, for_write=True)
    form = VersionForm(request.POST, request.FILES)
    if form.is_valid():
        with reported(request, _("New version received. It will be scanned, then reviewed.")):
            actions.do_add_version(request.user, item, form.cleaned_data["file"])
    else:
        # Django's own words when there is one ("The submitted file is empty."), not a generic one.
        messages.error(request, form.errors.get("file", [_("Choose a file to upload.")])[0])
    return redirect("media:item", item.id)


@login_required
@require_POST
def add_illustration(request, item_id):
    item = access.access_item(request.user, item_id, for_write=True)
    form = IllustrationForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose an image and its kind."))
        return redirect("media:item", item.id)
    with reported(request, _("Image received. It will be shown once scanned.")):
        actions.do_add_illustration(request.user, item, form.cleaned_data["file"], form.cleaned_data["role"])
    return redirect("media:item", item.id)


@login_required
@require_POST
def delete_item(request, item_id):
    item = access.access_item_for_delete(request.user, item_id)
    with reported(request, _("Resource deleted, with its files.")) as outcome:
        actions.do_delete_item(request.user, item)
    return redirect("media:mine") if outcome.ok else redirect("media:item", item.id)


@login_required
@require_POST
def delete_version(request, version_id):
    version = access.access_version(request.user, version_id, for_write=True)
    with reported(request, _("Version deleted.")):
        actions.do_delete_version(request.user, version)
    return redirect("media:item", version.item_id)
