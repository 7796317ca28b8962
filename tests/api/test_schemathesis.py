"""schemathesis runs the whole published schema against a live server (gunicorn,
a real process on the test database) as three personas, each with a personal
token: no server error, no response outside the schema (status, media type,
body), every operation exercised. Stateful links are not declared yet: the
examples use ids of rows the world holds (the persona's own and others')."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

import tests.security.matrix  # noqa: F401  (first: it loads every matrix module, in order)
from ent.api.actions import do_create_token
from ent.notify.api import notify
from tests.factories import build_world
from tests.security.matrix_homework import _entry
from tests.security.matrix_messaging import _rows

ROOT = Path(__file__).resolve().parents[2]
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_api(tmp_path):
    port = _free_port()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ent.test_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        # The fuzzer sends hundreds of requests a minute: the limits are tested in test_tokens_and_errors.
        "API_RATE_LIMIT": "100000/m",
        "API_WRITE_RATE_LIMIT": "100000/m",
        "PYTHONPATH": str(ROOT),
    }
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "4"]
        + ["ent.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/livez", timeout=1)
                break
            except OSError:
                time.sleep(0.2)  # the server is starting
        yield base, log
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(600)
def test_the_whole_schema_holds_for_three_personas(live_api):
    base, log = live_api
    world = build_world()
    _rows(world)
    _entry(world)
    notify([world.guardian], "homework.published", child=world.pupil, context={"title": "Ex", "url": "/cahier/"})
    operations = None
    for persona in (world.guardian, world.pupil, world.teacher):
        _token, secret = do_create_token(persona, "schemathesis")
        run = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"), "run", f"{base}/api/v1/openapi.json"]
            + [
                "--checks",
                CHECKS,
                "--max-examples",
                "5",
                "--phases",
                "examples,fuzzing",
                "--header",
                f"Authorization: Bearer {secret}",
            ]
            + ["--seed", "23", "--no-color"],
            capture_output=True,
            text=True,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
            cwd=log.parent,  # its own cache folder lands there, not in the work tree
            timeout=500,
        )
        out = run.stdout + run.stderr
        (ROOT / "var").mkdir(exist_ok=True)
        (ROOT / "var" / f"schemathesis-{persona.username}.log").write_text(out)
        assert run.returncode == 0, f"{persona.username}:\n{out[-6000:]}"
        selected = re.search(r"Selected: (\d+)/(\d+)", out)
        tested = re.search(r"Tested: (\d+)", out)
        assert selected and tested, out[-3000:]
        operations = operations or int(selected.group(2))
        # Every operation of the published schema was called with generated cases.
        assert int(tested.group(1)) == operations >= 17, out[-3000:]
        assert "Internal Server Error" not in log.read_text()
