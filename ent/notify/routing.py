from django.urls import path

from ent.notify.consumers import UserSocketConsumer

websocket_urlpatterns = [
    path("ws/", UserSocketConsumer.as_asgi()),
]
