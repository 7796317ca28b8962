from django.contrib import admin
from django.urls import include, path

from ent import views

admin.site.site_header = "ENT — administration"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("ent.directory.urls")),
]
