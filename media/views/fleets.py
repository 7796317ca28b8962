"""Tablet fleets (classes mobiles), for the people who run them: the fleets, a
fleet's page, enrolling and revoking tablets, choosing the apps, publishing the
F-Droid repository. The territory admins see the fleets and change nothing (403)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ent.errors import reported
from media import access, actions
from media.forms import FleetForm, FleetItemForm, TabletForm
from media.models import Fleet
from media.qr import qr_svg


def back_to_fleet(request, fleet_id, success=None):
    """Where every change on a fleet ends: its page, saying what was done."""
    if success is not None:
        messages.success(request, success)
    return redirect("media:fleet", fleet_id)


@login_required
def fleets(request):
    school_ids = access.access_fleet_schools(request.user, for_write=request.method == "POST")
    form = FleetForm(request.POST or None, school_ids=school_ids)
    if request.method == "POST" and form.is_valid():
        with reported(request, form=form, field="name") as outcome:
            fleet = actions.do_create_fleet(request.user, form.cleaned_data["school"], form.cleaned_data["name"])
        if outcome.ok:
            return redirect("media:fleet", fleet.id)
    return render(
        request,
        "media/fleets.html",
        {
            "fleets": Fleet.objects.visible_to(request.user).select_related("school"),
            "form": form if school_ids else None,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def fleet_detail(request, fleet_id):
    fleet = access.access_fleet(request.user, fleet_id)
    # Which forms to show; every action checks again on its own.
    can_manage = access.can_manage_fleet(request.user, fleet)
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
            "tablets": fleet.tablets.all(),
            "apps": fleet.app_links(),
            "can_manage": can_manage,
            "tablet_form": TabletForm(),
            "item_form": FleetItemForm(fleet=fleet) if can_manage else None,
            "repo_url": repo_url,
            "repo_link": repo_link,
            "repo_qr_svg": qr_svg(repo_link) if repo_link and can_manage else "",
        },
    )


@login_required
@require_POST
@never_cache
def tablet_enrol(request, fleet_id):
    fleet = access.access_fleet(request.user, fleet_id, for_write=True)
    form = TabletForm(request.POST)
    form.is_valid()
    tablet, token = actions.do_enrol_tablet(request.user, fleet, form.cleaned_data.get("label", ""))
    manifest_url = request.build_absolute_uri(reverse("media:manifest"))
    setup = f"{manifest_url}#token={token}"
    # Shown once: only the token's hash is stored.
    return render(
        request,
        "media/tablet_token.html",
        {"fleet": fleet, "tablet": tablet, "token": token, "manifest_url": manifest_url, "qr_svg": qr_svg(setup)},
    )


@login_required
@require_POST
def tablet_revoke(request, tablet_id):
    tablet = access.access_tablet(request.user, tablet_id, for_write=True)
    actions.do_revoke_tablet(request.user, tablet)
    return back_to_fleet(request, tablet.fleet_id, _("Tablet revoked: its token no longer works."))


@login_required
@require_POST
def fleet_add_item(request, fleet_id):
    fleet = access.access_fleet(request.user, fleet_id, for_write=True)
    form = FleetItemForm(request.POST, fleet=fleet)
    if form.is_valid():
        with reported(request, _("App added to the fleet.")):
            actions.do_set_fleet_item(
                request.user, fleet, form.cleaned_data["item"], mandatory=form.cleaned_data["mandatory"]
            )
    else:
        messages.error(request, _("Choose an approved app of this school."))
    return back_to_fleet(request, fleet.id)


@login_required
@require_POST
def fleet_remove_item(request, fleet_id, item_id):
    fleet = access.access_fleet(request.user, fleet_id, for_write=True)
    item = access.access_fleet_app(fleet, item_id)
    actions.do_remove_fleet_item(request.user, fleet, item)
    return back_to_fleet(request, fleet.id, _("App removed from the fleet."))


@login_required
@require_POST
def fleet_build_repo(request, fleet_id):
    fleet = access.access_fleet(request.user, fleet_id, for_write=True)
    actions.do_request_repo_build(request.user, fleet)
    return back_to_fleet(request, fleet.id, _("The F-Droid repository is being built; it takes a minute."))
