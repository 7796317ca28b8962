"""Push subscriptions: the browser's JSON calls (subscribe, unsubscribe itself)
and the "Remove" button beside a device on "Mes appareils"."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ent.http import safe_next
from ent.notify import actions, webpush
from ent.notify.access import access_subscription, subscription_by_endpoint

# A PushSubscription's JSON is well under 1 KB; anything much larger is not one.
BODY_MAX = 4096


def _error(message, status=400):
    return JsonResponse({"error": str(message)}, status=status)


def _json_body(request):
    """The request's JSON object, or a JsonResponse saying what is wrong with it."""
    if request.content_type != "application/json":
        return _error(_("Send the subscription as JSON (Content-Type: application/json)."), status=415)
    if len(request.body) > BODY_MAX:
        return _error(_("This request is too large."), status=413)
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _error(_("This request is not valid JSON."))
    if not isinstance(data, dict):
        return _error(_("This request is not valid JSON."))
    return data


@login_required
@require_POST
def subscribe(request):
    data = _json_body(request)
    if isinstance(data, JsonResponse):
        return data
    try:
        subscription = actions.do_subscribe_webpush(
            request.user,
            data,
            session_key=request.session.session_key,
            user_agent=request.headers.get("User-Agent", ""),
        )
    except webpush.InvalidPushSubscription as exc:
        return _error(exc.message)
    return JsonResponse({"id": subscription.id}, status=201)


@login_required
@require_POST
def unsubscribe(request):
    data = _json_body(request)
    if isinstance(data, JsonResponse):
        return data
    subscription = subscription_by_endpoint(request.user, data.get("endpoint"))
    if subscription is None:
        return _error(_("This device does not receive push notifications."), status=404)
    actions.do_unsubscribe_webpush(request.user, subscription)
    return JsonResponse({"removed": True})


@login_required
@require_POST
def remove(request, subscription_id):
    subscription = access_subscription(request.user, subscription_id)
    actions.do_unsubscribe_webpush(request.user, subscription)
    messages.success(request, _("This device will no longer receive push notifications."))
    return redirect(safe_next(request, "usersessions_list"))
