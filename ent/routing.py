"""WebSocket routes of the project; each app adds its own patterns here."""

websocket_urlpatterns = []
