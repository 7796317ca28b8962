from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ent.notify import actions, rendering
from ent.notify.access import access_notification, preference_children
from ent.notify.forms import PreferencesForm
from ent.notify.models import Notification

PAGE_SIZE = 25


@login_required
@require_GET
def feed(request):
    notifications = Notification.objects.visible_to(request.user).select_related("child")
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    items = [{"notification": n, "rendered": rendering.render(n), "child": rendering.child_label(n)} for n in page]
    return render(request, "notify/feed.html", {"page": page, "items": items})


def _back_to_feed(request):
    url = reverse("notify:feed")
    page = request.POST.get("page", "")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@login_required
@require_POST
def mark_read(request, notification_id):
    notification = access_notification(request.user, notification_id)
    actions.do_mark_read(request.user, notification)
    return _back_to_feed(request)


@login_required
@require_POST
def mark_all_read(request):
    count = actions.do_mark_all_read(request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return _back_to_feed(request)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    children = preference_children(request.user)
    form = PreferencesForm(request.POST or None, user=request.user, children=children)
    if request.method == "POST":
        if form.is_valid():
            actions.do_save_preferences(request.user, **form.preferences())
            messages.success(request, _("Your notification preferences are saved."))
            return redirect("notify:preferences")
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    return render(request, "notify/preferences.html", {"form": form})
