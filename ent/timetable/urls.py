from django.urls import path

from ent.timetable import views

app_name = "timetable"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("eleves/<int:pupil_id>/", views.pupil_week, name="pupil"),
    path("classes/<int:class_id>/", views.class_week, name="class"),
]

urlpatterns += [
    path("ecoles/<int:school_id>/import/", views.import_file, name="import"),
    path("ecoles/<int:school_id>/changements/", views.changes, name="changes"),
    path("changements/<int:change_id>/retirer/", views.change_withdraw, name="change_withdraw"),
    path("ecoles/<int:school_id>/semaines/", views.weeks, name="weeks"),
    path("ecoles/<int:school_id>/semaines/changer/", views.week_set, name="week_set"),
]

urlpatterns += [
    path("agenda/nouvelle-adresse/", views.feed_regenerate, name="feed_regenerate"),
    path("agenda/supprimer-adresse/", views.feed_revoke, name="feed_revoke"),
    path("ical/<str:token>.ics", views.ical_feed, name="ical_feed"),
]
