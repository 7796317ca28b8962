from django.urls import path

from ent.notify import views, views_pwa, views_webpush

app_name = "notify"

urlpatterns = [
    path("", views.feed, name="feed"),
    path("<int:notification_id>/lu/", views.mark_read, name="mark_read"),
    path("tout-lu/", views.mark_all_read, name="mark_all_read"),
    path("preferences/", views.preferences, name="preferences"),
    # Web Push: the browser's own calls, and "Remove" on "Mes appareils".
    path("push/abonnement/", views_webpush.subscribe, name="webpush_subscribe"),
    path("push/desabonnement/", views_webpush.unsubscribe, name="webpush_unsubscribe"),
    path("push/<int:subscription_id>/supprimer/", views_webpush.remove, name="webpush_remove"),
    # The installed app's offline list (what its worker keeps for reading offline).
    path("hors-ligne/", views_pwa.offline_list, name="offline_list"),
]
