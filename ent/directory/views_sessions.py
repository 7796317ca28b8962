"""Mes appareils: allauth's usersessions list (its view and its "sign out the
other devices" form, at /accounts/sessions/), plus signing out one device or
every device, this one included. Ending a session closes its sockets
(ent/directory/sessions.py)."""

from allauth.usersessions.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ent.directory import access
from ent.directory.sessions import Reason, end_sessions


@login_required
@require_POST
def end_device(request, session_id):
    row = access.access_user_session(request.user, session_id)
    if row.session_key == request.session.session_key:
        logout(request)  # this device: an ordinary logout (its sockets close on user_logged_out)
        return redirect("account_login")
    get_adapter().end_sessions([row])
    messages.success(request, _("This device is signed out."))
    return redirect("usersessions_list")


@login_required
@require_POST
def end_all_devices(request):
    end_sessions(request.user, except_session_key=request.session.session_key, reason=Reason.SIGNED_OUT)
    logout(request)
    return redirect("account_login")
