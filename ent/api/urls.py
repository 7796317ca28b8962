from django.urls import path
from django.views.generic import RedirectView

from ent.api.core import api
from ent.api.views import (
    absences,
    announcements,
    homework,
    me,
    messaging,
    notifications,
    resources,
    sockets,
    timetable,
    tokens,
)

for router in (me, homework, absences, messaging, announcements, notifications, resources, sockets, timetable):
    api.add_router("", router.router)

urlpatterns = [
    path("api/v1/", api.urls),
    path("api/docs/", RedirectView.as_view(pattern_name="api-v1:openapi-view", permanent=False), name="api_docs"),
    path("compte/jetons/", tokens.tokens, name="api_tokens"),
    path("compte/jetons/<int:token_id>/revoquer/", tokens.revoke, name="api_token_revoke"),
]
