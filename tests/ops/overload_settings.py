"""Settings for the gunicorn that tests/ops/test_overload.py starts."""

from ent.test_settings import *  # noqa: F403

ROOT_URLCONF = "tests.ops.overload_urls"
