"""WebSocket routes of the project; each app adds its own patterns here."""

from ent.notify.routing import websocket_urlpatterns as notify_patterns

websocket_urlpatterns = [
    *notify_patterns,
]
