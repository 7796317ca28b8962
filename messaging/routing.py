"""Messaging has no socket of its own: it rides on the project's one socket at
ws/ (ent.notify.consumers.UserSocketConsumer, routed in ent/routing.py), whose
action registry gets the messaging actions from messaging/consumers.py when the
app is ready. A page opens one connection, whatever features it shows."""

websocket_urlpatterns = []
