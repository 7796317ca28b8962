import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ent.settings")

# Django must be set up before anything imports models (consumers do).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from ent.api.ws import TokenAuthMiddleware, by_credential  # noqa: E402
from ent.routing import app_websocket_urlpatterns, websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Pages: cookie session behind the Origin check. Apps: a token offered as a
        # subprotocol, no cookie, no Origin check (ent/api/ws.py says why).
        "websocket": by_credential(
            session_app=AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
            token_app=TokenAuthMiddleware(URLRouter(app_websocket_urlpatterns)),
        ),
    }
)
