from django.contrib import admin
from django.urls import include, path

from ent import views
from ent.directory import signin
from ent.identity import views as identity_views
from ent.notify import views_pwa as notify_pwa

admin.site.site_header = "ENT — administration"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("livez", views.livez, name="livez"),
    # The installable app: its worker at the root, so that its scope is the whole site.
    path("sw.js", notify_pwa.service_worker, name="pwa_service_worker"),
    path("manifest.webmanifest", notify_pwa.manifest, name="pwa_manifest"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before allauth's own route: the plain login page is served from the cache
    # (ent/directory/signin.py, issue #25).
    path("accounts/login/", signin.login_page, name="account_login"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    # Federated sign-in: the office's link queue, and the ENT's OpenID provider.
    path("identite/", include("ent.identity.urls")),
    # Before allauth's own route at the same path: the territory's app policy first.
    path("identity/o/authorize", identity_views.authorize, name="identity_oidc_authorize"),
    path("", include("allauth.idp.urls")),
    path("notifications/", include("ent.notify.urls")),
    path("messages/", include("messaging.urls")),
    path("ressources/", include("media.urls")),
    path("cahier/", include("homework.urls")),
    path("absences/", include("absences.urls")),
    path("emploi-du-temps/", include("ent.timetable.urls")),
    path("", include("ent.api.urls")),
    path("", include("ent.directory.urls")),
]
