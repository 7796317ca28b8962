"""The school office's queue of external identities to link (thin views:
access → one action → redirect)."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ent.directory.models import User
from ent.identity import access, actions
from ent.identity.forms import LinkForm

log = logging.getLogger("ent.identity")


@login_required
@require_GET
def queue(request):
    links = access.access_queue(request.user).select_related("provider", "school").prefetch_related("candidates")[:200]
    linked = access.linked_accounts_visible_to(request.user).select_related("user").order_by("-date_joined")[:100]
    return render(request, "identity/queue.html", {"links": links, "linked": linked})


@login_required
@require_GET
def pending_detail(request, link_id):
    link = access.access_pending_link(request.user, link_id)
    return render(request, "identity/pending_detail.html", _detail_context(link, LinkForm()))


def _detail_context(link, form):
    attributes = sorted((k, ", ".join(v)) for k, v in link.attributes.items() if k != "_names")
    return {"link": link, "attributes": attributes, "candidates": link.candidates.all(), "form": form}


@login_required
@require_POST
def pending_link(request, link_id):
    link = access.access_pending_link(request.user, link_id)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return render(request, "identity/pending_detail.html", _detail_context(link, form), status=400)
    person_id = form.cleaned_data["person"]
    if not person_id:
        found = User.objects.visible_to(request.user).filter(username__iexact=form.cleaned_data["username"].strip())
        person_id = found.values_list("id", flat=True).first()
        if person_id is None:
            form.add_error("username", _("Nobody of your school has this username."))
            return render(request, "identity/pending_detail.html", _detail_context(link, form), status=400)
    person = access.check_linkable_person(request.user, link, person_id)
    try:
        actions.do_link_pending(link.id, person, by=request.user)
    except actions.AlreadyLinked:
        messages.error(request, _("This identity or this person is already linked."))
        return redirect("identity_pending_detail", link_id=link.id)
    messages.success(
        request,
        _("Linked: %(name)s can now sign in through %(idp)s.")
        % {
            "name": person.get_full_name() or person.username,
            "idp": link.provider.label,
        },
    )
    return redirect("identity_queue")


@login_required
@require_POST
def pending_dismiss(request, link_id):
    link = access.access_pending_link(request.user, link_id)
    actions.do_dismiss_pending(link.id, by=request.user)
    messages.success(request, _("The request was dismissed."))
    return redirect("identity_queue")


@login_required
@require_POST
def unlink(request, account_id):
    account = access.access_external_link(request.user, account_id)
    actions.do_unlink(account.id, by=request.user)
    messages.success(request, _("The link to the external identity was removed."))
    return redirect("identity_queue")


def authorize(request, *args, **kwargs):
    """The ENT's OpenID authorization endpoint: allauth's, behind the
    territory's rule of who may use the app. A signed-in person the app is not
    for gets a plain page, and the app gets nothing."""
    from allauth.idp.oidc import views as oidc_views

    client_id = request.GET.get("client_id") or request.POST.get("client_id")
    if access.app_refused(request.user, client_id):
        from ent.identity.adapter import refusal

        return refusal(request, _("This application is not open to you. Ask your school."))
    return oidc_views.authorization(request, *args, **kwargs)


@csrf_exempt
@require_POST
def backchannel_logout(request, slug):
    """OpenID Connect Back-Channel Logout 1.0 (§2.5, §2.8): the IdP posts a
    signed logout_token; 200 once checked (even if no session of ours matched),
    400 with an OAuth-style JSON error otherwise. Never cached."""
    from ent.identity import backchannel

    idp = access.access_oidc_idp(slug)
    try:
        claims = backchannel.verify_logout_token(request, idp.app, request.POST.get("logout_token", ""))
    except backchannel.InvalidLogoutToken as e:
        log.warning("back-channel logout refused: idp=%s why=%s", idp.id, e)
        response = JsonResponse({"error": "invalid_request", "error_description": str(e)}, status=400)
    else:
        actions.do_backchannel_logout(idp, sid=claims.get("sid"), sub=claims.get("sub"))
        response = HttpResponse(status=200)
    response["Cache-Control"] = "no-store"
    return response
