from django.urls import path

from media import views

app_name = "media"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("proposer/", views.propose, name="propose"),
    path("<int:item_id>/", views.item_detail, name="item"),
    path("<int:item_id>/ouvrir/", views.open_item, name="open"),
    path("<int:item_id>/telecharger/", views.download, name="download"),
    path("<int:item_id>/version/", views.add_version, name="add_version"),
    path("<int:item_id>/images/", views.add_illustration, name="add_illustration"),
    path("image/<int:illustration_id>/", views.illustration, name="illustration"),
    path("<int:item_id>/approuver/", views.approve, name="approve"),
    path("<int:item_id>/refuser/", views.reject, name="reject"),
    path("<int:item_id>/retirer/", views.withdraw, name="withdraw"),
    path("<int:item_id>/attribuer/", views.assign, name="assign"),
    path("<int:item_id>/supprimer/", views.delete_item, name="delete"),
    path("version/<int:version_id>/supprimer/", views.delete_version, name="delete_version"),
    path("televersement/", views.upload_start, name="upload_start"),
    path("televersement/<int:ticket_id>/fin/", views.upload_finish, name="upload_finish"),
    path("flottes/", views.fleets, name="fleets"),
    path("flottes/<int:fleet_id>/", views.fleet_detail, name="fleet"),
    path("flottes/<int:fleet_id>/tablettes/", views.tablet_enrol, name="tablet_enrol"),
    path("flottes/<int:fleet_id>/applis/", views.fleet_add_item, name="fleet_add_item"),
    path("flottes/<int:fleet_id>/applis/<int:item_id>/retirer/", views.fleet_remove_item, name="fleet_remove_item"),
    path("flottes/<int:fleet_id>/fdroid/", views.fleet_build_repo, name="fleet_build_repo"),
    path("tablettes/<int:tablet_id>/revoquer/", views.tablet_revoke, name="tablet_revoke"),
    # Tablets: a device token, no session.
    path("tablette/manifest.json", views.manifest, name="manifest"),
    path("tablette/apk/<int:version_id>.apk", views.tablet_apk, name="tablet_apk"),
    path("fdroid/<str:secret>/repo/<path:name>", views.fdroid_file, name="fdroid_file"),
]
