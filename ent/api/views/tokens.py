"""'Mes jetons d'accès': a person makes a personal token for an app (shown once),
sees when each was last used, and revokes one (at once)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ent import errors
from ent.api import access, actions


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    context = {"secret": None, "name": ""}
    status = 200
    if request.method == "POST":
        context["name"] = request.POST.get("name", "")
        with errors.reported(request) as outcome:
            token, secret = actions.do_create_token(request.user, context["name"])
        if outcome.ok:
            context["secret"], context["created"], context["name"] = secret, token, ""
        status = outcome.status
    context["tokens"] = access.tokens_of(request.user)
    response = render(request, "api/tokens.html", context, status=status)
    # The secret is on this page once: never kept by a cache.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke(request, token_id):
    token = access.access_token(request.user, token_id)
    actions.do_revoke_token(request.user, token)
    messages.success(request, _("The token was revoked: apps using it can no longer sign in with it."))
    return redirect("api_tokens")
