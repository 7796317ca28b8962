"""Every model the admin can write: a save or a delete there, outside the
actions, leaves no page served from the page cache that was rendered before it
(ent/pagecache.py). A model added to the admin must be classified here."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from ent.directory.models import ActivationCode, Territory, User
from ent.notify.models import ChildMute, Delivery, Notification, NotificationSettings, Preference
from tests.pagecache_checks import cache_page, served_from_cache

pytestmark = pytest.mark.django_db

# Shown on no cached page (home, homework week, register, inbox): their admin
# writes need no bump. Checked: none of these is read by those views.
SHOWN_ON_NO_CACHED_PAGE = {ActivationCode, Delivery, Preference, ChildMute, NotificationSettings}
# By label: the nightly purge's policy; allauth's e-mail addresses (pages show
# User.email); Django's permission groups (no page reads them).
# allauth's MFA authenticators (checked at sign-in, shown on no cached page).
# Federated sign-in (ent/identity, allauth's socialaccount and OpenID provider):
# read at sign-in, by the office's link queue and by the OAuth endpoints, never
# by a cached page (the login page, which lists the IdPs, is never cached).
NOT_SHOWN_LABELS = {
    "absences.RetentionPolicy",
    "account.EmailAddress",
    "auth.Group",
    # A school's closed days: read by the declaration form only, never cached.
    "directory.ClosedDay",
    "mfa.Authenticator",
    "allauth_idp_oidc.Client",
    "allauth_idp_oidc.Token",
    "identity.AppPolicy",
    "identity.IdentityProvider",
    "identity.PendingLink",
    "socialaccount.SocialAccount",
    "socialaccount.SocialApp",
    "socialaccount.SocialToken",
    # "Mes appareils" (allauth's usersessions): its own page, never cached.
    "usersessions.UserSession",
}


def _admin_models():
    return [m for m in apps.get_models() if admin.site.is_registered(m)]


def _classified(model):
    return model in SHOWN_ON_NO_CACHED_PAGE or model._meta.label in NOT_SHOWN_LABELS


def test_every_admin_model_is_classified():
    """A model on no cached page is listed; every other one is walked below."""
    assert len(WALKED) >= 14, WALKED


def _an_object(model, world):
    if model is User:
        return world.outsider_parent
    if model is Notification:
        from ent.notify.api import notify

        notify([world.guardian], _a_kind(), context={})
        return Notification.objects.filter(recipient=world.guardian).order_by("-pk").first()
    if model._meta.label == "directory.Subject":
        # Subjects still taught are protected: delete one no one teaches.
        from tests.factories import make_subject

        return make_subject(world.school, "MUS", "Musique")
    if model is Territory:
        # The world's territory has schools whose rows protect it: a new one.
        return Territory.objects.create(name="Autre territoire", slug="autre-territoire")
    if model._meta.label == "absences.Reason":
        from absences.demo import ensure_reasons

        ensure_reasons(world.school)
    return model.objects.order_by("-pk").first()


def _a_kind():
    from ent.notify.kinds import KINDS

    return next(iter(KINDS))


WALKED = sorted(m._meta.label for m in _admin_models() if not _classified(m))


@pytest.mark.parametrize("operation", ["save", "delete"])
@pytest.mark.parametrize("label", WALKED)
def test_an_admin_write_is_never_followed_by_a_stale_page(world, login_as, client, settings, label, operation):
    settings.PAGE_CACHE_SECONDS = 300
    model = apps.get_model(label)
    login_as(world.guardian)
    request = RequestFactory().post("/admin/")
    request.user = world.admin
    obj = _an_object(model, world)
    assert obj is not None, label
    url = cache_page(client, reverse("home"))
    model_admin = admin.site.get_model_admin(model)
    if operation == "save":
        model_admin.save_model(request, obj, None, True)
    else:
        model_admin.delete_model(request, obj)
    after = client.get(url)
    assert after.status_code in (200, 302), (label, after.status_code)
    assert not served_from_cache(after), f"{label}: an admin {operation} left a stale page"


def test_group_members_changed_in_the_admin_form_leave_no_stale_page(
    world, login_as, client, settings, django_capture_on_commit_callbacks
):
    """No m2m receiver is left: the change form saves the members after
    save_model, in the transaction whose commit BumpsPagesAdmin bumps again."""
    from django.test import Client

    from tests.factories import make_user

    settings.PAGE_CACHE_SECONDS = 300
    login_as(world.guardian)
    url = cache_page(client, reverse("home"))
    root = make_user("root_t", is_superuser=True, is_staff=True)
    office = login_as(root, the_client=Client())
    group = world.group
    members = [world.pupil.pk, world.outsider_pupil.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = office.post(
            reverse("admin:directory_group_change", args=[group.pk]),
            {"school": group.school_id, "year": group.year_id, "name": group.name, "members": members},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(group.members.values_list("pk", flat=True)) == set(members)
    after = client.get(url)
    assert after.status_code == 200
    assert not served_from_cache(after), "a group's members changed in the admin left a stale page"
