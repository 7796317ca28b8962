from django.urls import path

from ent.identity import views

urlpatterns = [
    path("a-relier/", views.queue, name="identity_queue"),
    path("a-relier/<int:link_id>/", views.pending_detail, name="identity_pending_detail"),
    path("a-relier/<int:link_id>/lier/", views.pending_link, name="identity_pending_link"),
    path("a-relier/<int:link_id>/ecarter/", views.pending_dismiss, name="identity_pending_dismiss"),
    path("liens/<int:account_id>/supprimer/", views.unlink, name="identity_unlink"),
    path("oidc/<slug:slug>/backchannel-logout", views.backchannel_logout, name="identity_backchannel_logout"),
]
