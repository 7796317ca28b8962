from django.urls import include, path

from ent.directory import views, views_admin, views_photos, views_sessions

# Pupil photos (issue 21), under the "directory" namespace the register's rows
# name (absences/_register_rows.html): the rest of the directory's routes predate
# namespaces and keep their bare names.
photo_patterns = (
    [
        path("annuaire/photos/eleves/<int:pupil_id>/", views_photos.pupil_photo, name="pupil_photo"),
        path("annuaire/gestion/ecoles/<int:school_id>/photos/", views_photos.school_photos, name="school_photos"),
        path(
            "annuaire/gestion/ecoles/<int:school_id>/photos/eleves/<int:pupil_id>/",
            views_photos.pupil_photo_manage,
            name="pupil_photo_manage",
        ),
        path(
            "annuaire/enfants/<int:child_id>/ecoles/<int:school_id>/photo/",
            views_photos.child_photo,
            name="child_photo",
        ),
    ],
    "directory",
)

urlpatterns = [
    path("", include(photo_patterns)),
    path("", views.home, name="home"),
    path("enfant/", views.select_child, name="select_child"),
    path("activation/", views.activate, name="activate"),
    path("activation/mot-de-passe/", views.activate_password, name="activate_password"),
    path("annuaire/ecoles/<int:school_id>/", views.school_detail, name="school_detail"),
    path("annuaire/classes/<int:class_id>/", views.class_detail, name="class_detail"),
    path("annuaire/eleves/<int:pupil_id>/", views.pupil_detail, name="pupil_detail"),
    path("annuaire/eleves/<int:pupil_id>/code/", views.pupil_reset_code, name="pupil_reset_code"),
    # Mes appareils (sec-24): the list is allauth's, at /accounts/sessions/ (usersessions_list).
    path("accounts/sessions/<int:session_id>/end/", views_sessions.end_device, name="usersession_end"),
    path("accounts/sessions/end-all/", views_sessions.end_all_devices, name="usersessions_end_all"),
    # Directory management, imports and privacy (issue 8)
    path("annuaire/gestion/", views_admin.manage_home, name="manage_home"),
    path("annuaire/gestion/ecoles/<int:school_id>/", views_admin.manage_school, name="manage_school"),
    path("annuaire/gestion/ecoles/<int:school_id>/import/", views_admin.import_start, name="import_start"),
    path("annuaire/gestion/imports/<int:job_id>/", views_admin.import_detail, name="import_detail"),
    path("annuaire/gestion/imports/<int:job_id>/etat/", views_admin.import_status, name="import_status"),
    path("annuaire/gestion/imports/<int:job_id>/appliquer/", views_admin.import_apply, name="import_apply"),
    path("annuaire/gestion/imports/<int:job_id>/rapport.csv", views_admin.import_report, name="import_report"),
    path("annuaire/gestion/ecoles/<int:school_id>/lettres/", views_admin.letters_view, name="login_letters"),
    path(
        "annuaire/gestion/lettres/<int:batch_id>/telecharger/",
        views_admin.letters_download,
        name="login_letters_download",
    ),
    path("annuaire/gestion/ecoles/<int:school_id>/comptes/", views_admin.accounts, name="accounts"),
    path("annuaire/gestion/ecoles/<int:school_id>/comptes/blocage/", views_admin.accounts_block, name="accounts_block"),
    path("annuaire/gestion/ecoles/<int:school_id>/comptes/fusion/", views_admin.accounts_merge, name="accounts_merge"),
    path(
        "annuaire/gestion/ecoles/<int:school_id>/comptes/<int:user_id>/double-authentification/",
        views_admin.accounts_reset_mfa,
        name="accounts_reset_mfa",
    ),
    path(
        "annuaire/gestion/ecoles/<int:school_id>/eleves/<int:pupil_id>/depart/",
        views_admin.pupil_leave,
        name="pupil_leave",
    ),
    path("annuaire/gestion/ecoles/<int:school_id>/annee/", views_admin.rollover, name="rollover"),
    path("annuaire/gestion/ecoles/<int:school_id>/fermetures/", views_admin.closed_days, name="closed_days"),
    path(
        "annuaire/gestion/ecoles/<int:school_id>/fermetures/<int:closed_day_id>/supprimer/",
        views_admin.closed_day_delete,
        name="closed_day_delete",
    ),
    path("confidentialite/", views_admin.privacy_page, name="privacy"),
    path("confidentialite/mes-donnees/", views_admin.privacy_export, name="privacy_export"),
    path(
        "confidentialite/mes-donnees/<int:export_id>/telecharger/",
        views_admin.privacy_export_download,
        name="privacy_export_download",
    ),
]
