"""The project's URLs plus one view that holds its thread until the test lets
it go (a Redis list): how tests/ops/test_overload.py fills the workers without
sleeping."""

import redis
from django.conf import settings
from django.http import HttpResponse
from django.urls import path

from ent.urls import urlpatterns as project_urls

RELEASE_KEY = "overload-test-release"
ENTERED_KEY = "overload-test-entered"


def hold(request):
    r = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=30)
    r.rpush(ENTERED_KEY, 1)  # the test waits for this: the slot is taken
    r.blpop([RELEASE_KEY], timeout=20)
    return HttpResponse("released")


urlpatterns = [path("_test/hold/", hold), *project_urls]
