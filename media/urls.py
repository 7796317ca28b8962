from django.urls import path

from media.views import approvals, fleets, library, repository, tablets, uploads

app_name = "media"

urlpatterns = [
    path("", library.mine, name="mine"),
    path("catalogue/", library.catalogue, name="catalogue"),
    path("proposer/", library.propose, name="propose"),
    path("<int:item_id>/", library.item_detail, name="item"),
    path("<int:item_id>/ouvrir/", library.open_item, name="open"),
    path("<int:item_id>/telecharger/", library.download, name="download"),
    path("<int:item_id>/version/", library.add_version, name="add_version"),
    path("<int:item_id>/images/", library.add_illustration, name="add_illustration"),
    path("image/<int:illustration_id>/", library.illustration, name="illustration"),
    path("<int:item_id>/approuver/", approvals.approve, name="approve"),
    path("<int:item_id>/refuser/", approvals.reject, name="reject"),
    path("<int:item_id>/retirer/", approvals.withdraw, name="withdraw"),
    path("<int:item_id>/attribuer/", approvals.assign, name="assign"),
    path("<int:item_id>/supprimer/", library.delete_item, name="delete"),
    path("version/<int:version_id>/supprimer/", library.delete_version, name="delete_version"),
    path("televersement/", uploads.upload_start, name="upload_start"),
    path("televersement/<int:ticket_id>/fin/", uploads.upload_finish, name="upload_finish"),
    path("flottes/", fleets.fleets, name="fleets"),
    path("flottes/<int:fleet_id>/", fleets.fleet_detail, name="fleet"),
    path("flottes/<int:fleet_id>/tablettes/", fleets.tablet_enrol, name="tablet_enrol"),
    path("flottes/<int:fleet_id>/applis/", fleets.fleet_add_item, name="fleet_add_item"),
    path("flottes/<int:fleet_id>/applis/<int:item_id>/retirer/", fleets.fleet_remove_item, name="fleet_remove_item"),
    path("flottes/<int:fleet_id>/fdroid/", fleets.fleet_build_repo, name="fleet_build_repo"),
    path("tablettes/<int:tablet_id>/revoquer/", fleets.tablet_revoke, name="tablet_revoke"),
    # Tablets: a device token, no session.
    path("tablette/manifest.json", tablets.manifest, name="manifest"),
    path("tablette/apk/<int:version_id>.apk", tablets.tablet_apk, name="tablet_apk"),
    path("fdroid/<str:secret>/repo/<path:name>", repository.fdroid_file, name="fdroid_file"),
]
