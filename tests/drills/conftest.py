"""Fixtures of the fault drills: one PostgreSQL cluster of the drills' own, with
a migrated template database copied for each drill (migrating is the slow part),
and a fresh Redis per drill."""

import itertools
import os
import subprocess

import pytest

from tests.browser.asgi_server import BIN, ROOT
from tests.drills import services

_names = itertools.count(1)


def _require_binaries():
    missing = services.missing_binaries()
    if missing:
        pytest.skip(f"fault drills need real server binaries, missing: {', '.join(missing)}")


@pytest.fixture(scope="session")
def drill_cluster():
    _require_binaries()
    cluster = services.PostgresCluster()
    try:
        cluster.init()
        cluster.start()
        cluster.sql("CREATE DATABASE ent_template")
        env = services.django_env(cluster.url("ent_template"))
        subprocess.run(
            [str(BIN / "python"), "manage.py", "migrate", "-v0", "--no-input"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=600,
            capture_output=True,
        )
        yield cluster
    finally:
        cluster.cleanup()


@pytest.fixture
def drill_db(drill_cluster):
    """A fresh migrated database on the drills' cluster: its URL."""
    name = f"drill_{os.getpid()}_{next(_names)}"
    drill_cluster.sql(f"CREATE DATABASE {name} TEMPLATE ent_template")
    return drill_cluster.url(name)


@pytest.fixture
def drill_redis():
    _require_binaries()
    redis = services.RedisServer()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()
