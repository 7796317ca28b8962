from django.urls import path

from ent.notify import views

app_name = "notify"

urlpatterns = [
    path("", views.feed, name="feed"),
    path("<int:notification_id>/lu/", views.mark_read, name="mark_read"),
    path("tout-lu/", views.mark_all_read, name="mark_all_read"),
    path("preferences/", views.preferences, name="preferences"),
]
