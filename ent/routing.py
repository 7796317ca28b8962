"""WebSocket routes of the project; each app adds its own patterns here."""

from django.urls import path

from ent.api.ws import AppSocketConsumer
from ent.notify.routing import websocket_urlpatterns as notify_patterns

websocket_urlpatterns = [
    *notify_patterns,
]

# The same socket for apps that authenticate with a token (ent/api/ws.py).
app_websocket_urlpatterns = [
    path("ws/", AppSocketConsumer.as_asgi()),
]
