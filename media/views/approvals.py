"""The référent's decisions on an item: approve, reject, withdraw, assign to
classes and groups. Each is for the item's school's approvers only (403 for the
others who see it, 404 for the rest: access.access_item_for_review)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ent.errors import reported
from media import access, actions
from media.forms import ApproveForm, AssignForm, RejectForm, WithdrawForm


@login_required
@require_POST
def approve(request, item_id):
    item = access.access_item_for_review(request.user, item_id)
    form = ApproveForm(request.POST)
    if form.is_valid():
        version = access.access_version_of(item, form.cleaned_data["version"])
        with reported(request, _("Approved. You can now assign it to classes and tablets.")):
            actions.do_approve(
                request.user, item, version, signer_change_reason=form.cleaned_data["signer_change_reason"]
            )
    return redirect("media:item", item.id)


@login_required
@require_POST
def reject(request, item_id):
    item = access.access_item_for_review(request.user, item_id)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason: the teacher will read it."))
        return redirect("media:item", item.id)
    version = access.access_version_of(item, form.cleaned_data["version"])
    with reported(request, _("Rejected. The teacher has been told why.")):
        actions.do_reject(request.user, item, version, form.cleaned_data["reason"])
    return redirect("media:item", item.id)


@login_required
@require_POST
def withdraw(request, item_id):
    item = access.access_item_for_review(request.user, item_id)
    form = WithdrawForm(request.POST)
    form.is_valid()
    with reported(request, _("Withdrawn: pupils and tablets no longer get it.")):
        actions.do_withdraw(request.user, item, form.cleaned_data.get("reason", ""))
    return redirect("media:item", item.id)


@login_required
@require_POST
def assign(request, item_id):
    item = access.access_item_for_review(request.user, item_id)
    form = AssignForm(request.POST, school=item.school)
    if not form.is_valid():
        messages.error(request, _("Choose classes and groups of this school."))
        return redirect("media:item", item.id)
    with reported(request, _("Assignment saved.")):
        actions.do_assign(request.user, item, list(form.cleaned_data["classes"]), list(form.cleaned_data["groups"]))
    return redirect("media:item", item.id)
