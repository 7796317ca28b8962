from django.urls import path

from absences import views

app_name = "absences"

urlpatterns = [
    path("", views.home, name="home"),
    path("appel/ouvrir/", views.register_open, name="register_open"),
    path("appel/<int:register_id>/", views.register, name="register"),
    path("eleves/<int:pupil_id>/", views.pupil_file, name="pupil_file"),
    path("eleves/<int:pupil_id>/declarer/", views.declare, name="declare"),
    path("absences/<int:event_id>/", views.event_detail, name="event_detail"),
    path("absences/<int:event_id>/modifier/", views.event_update, name="event_update"),
    path("declarations/<int:notice_id>/", views.notice_detail, name="notice_detail"),
    path("declarations/<int:notice_id>/document/", views.notice_document, name="notice_document"),
    path("declarations/<int:notice_id>/valider/", views.notice_validate, name="notice_validate"),
    path("declarations/<int:notice_id>/rejeter/", views.notice_reject, name="notice_reject"),
    path("ecoles/<int:school_id>/jour/", views.dashboard, name="dashboard"),
    path("ecoles/<int:school_id>/saisie/", views.record, name="record"),
    path("ecoles/<int:school_id>/export.csv", views.export_csv, name="export"),
    path("ecoles/<int:school_id>/motifs/", views.reasons, name="reasons"),
    path("ecoles/<int:school_id>/motifs/<int:reason_id>/", views.reason_edit, name="reason_edit"),
    path("ecoles/<int:school_id>/journal/", views.audit_log, name="audit"),
    path("classes/<int:class_id>/statistiques/", views.class_stats, name="class_stats"),
]
