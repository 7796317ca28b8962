"""Direct upload (JavaScript): the browser sends the file straight to the object
store with a presigned PUT, then says it is done. JSON in and out."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ent.errors import FileRefused
from media import access, actions
from media.forms import DirectStartForm, DirectVersionStartForm
from media.models import Item
from media.views.common import json_error


@login_required
@require_POST
def upload_start(request):
    """Validate the form and the quotas before any byte is sent; answer with a
    presigned PUT URL. For a new version, pass `item`."""
    item = None
    if request.POST.get("item"):
        item = access.access_file_item(request.user, request.POST["item"])
        form = DirectVersionStartForm(request.POST)
    else:
        form = DirectStartForm(request.POST, school_ids=access.access_proposal_schools(request.user))
    if not form.is_valid():
        return json_error(_("Please correct the form."), fields=form.errors)
    if item is None and form.cleaned_data["kind"] == Item.Kind.LINK:
        return json_error(_("A web link has no file to upload."))
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
        # JSON: the refusal in the body, not as a page message (ent.errors.reported is for pages).
        return json_error(exc.message)
    return JsonResponse(
        {"put_url": put_url, "finish_url": reverse("media:upload_finish", args=[ticket.id])}, status=201
    )


@login_required
@require_POST
def upload_finish(request, ticket_id):
    ticket = access.access_upload_ticket(request.user, ticket_id)
    try:
        version = actions.do_finish_direct_upload(request.user, ticket)
    except FileRefused as exc:
        return json_error(exc.message)
    messages.success(request, _("File received. It will be scanned, then reviewed."))
    return JsonResponse({"item_url": reverse("media:item", args=[version.item_id])}, status=201)
