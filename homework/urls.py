from django.urls import path

from homework import views

app_name = "homework"

urlpatterns = [
    path("", views.week, name="week"),
    path("travail/<int:entry_id>/", views.entry_detail, name="entry_detail"),
    path("travail/<int:entry_id>/fait/", views.tick, name="tick"),
    path("travail/<int:entry_id>/modifier/", views.entry_edit, name="entry_edit"),
    path("travail/<int:entry_id>/supprimer/", views.entry_delete, name="entry_delete"),
    path("travail/<int:entry_id>/copier/", views.entry_copy, name="entry_copy"),
    path("travail/<int:entry_id>/rendre/", views.hand_in, name="hand_in"),
    path("pieces-jointes/<int:attachment_id>/", views.attachment_download, name="attachment_download"),
    path("rendus/<int:submission_id>/", views.submission_download, name="submission_download"),
    path("classes/", views.diaries, name="diaries"),
    path("classes/<slug:target>/", views.diary, name="diary"),
    path("classes/<slug:target>/ajouter/", views.entry_create, name="entry_create"),
    path("classes/<slug:target>/visa/", views.visa, name="visa"),
    path("classes/<slug:target>/archive/", views.archive_request, name="archive_request"),
    path("archives/<int:archive_id>/", views.archive_download, name="archive_download"),
    path("agenda/", views.calendar, name="calendar"),
    path("agenda/nouvelle-adresse/", views.calendar_regenerate, name="calendar_regenerate"),
    path("agenda/supprimer-adresse/", views.calendar_revoke, name="calendar_revoke"),
    path("ical/<str:token>.ics", views.ical_feed, name="ical_feed"),
]
