import logging

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ent import storage

log = logging.getLogger(__name__)


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis():
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def _check_s3():
    if not storage.ping():
        raise RuntimeError("object store unreachable")


@never_cache
@require_GET
def livez(request):
    """Liveness: the process answers, without touching any service. Also the
    benchmark's baseline (the framework's ceiling on this machine)."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_GET
def healthz(request):
    """Status of each configured service: 200 when all are up, 503 otherwise."""
    checks = {"database": _check_database, "s3": _check_s3}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
    services = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:
            log.warning("healthz: %s is down: %s", name, exc)
            services[name] = {"status": "down", "error": exc.__class__.__name__}
        else:
            services[name] = {"status": "up"}
    healthy = all(s["status"] == "up" for s in services.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "services": services},
        status=200 if healthy else 503,
    )
