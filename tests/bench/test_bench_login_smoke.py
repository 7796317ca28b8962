"""A short run of the Monday-morning scenarios of `make bench` (issue #25): the
login storm, the Monday journey and the overload run on a tiny dataset, the
production gunicorn layout, real logins through the form. Numbers are not
judged here (the integrator runs the full benchmark on a quiet machine); the
scenarios must run and report, and a login must really sign in."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the benchmark runs on PostgreSQL + Redis (CI sets DATABASE_URL and REDIS_URL)",
)
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (.ci/run installs it)")
def test_login_scenarios_quick_run(tmp_path):
    output = tmp_path / "login.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--only-login", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    logins = json.loads(output.read_text())["logins"]
    for storm in logins["login_storm"]:
        # Refusals are measured, not judged here (a shared machine); never a server error.
        assert storm["logins"] > 0, storm
        assert storm["server_errors_5xx"] == 0 and storm["errors"] == 0, storm
        assert {"form", "post", "home", "login"} <= set(storm["steps"])
        assert storm["livez_requests_per_s"] > 0
    monday = logins["monday_journey"]
    assert monday["journeys"] > 0 and monday["server_errors_5xx"] == 0, monday
    assert {"homework_week", "absences"} <= set(monday["steps"]), monday["steps"].keys()
    over = logins["overload"]
    assert over["requests"] > 0 and over["share_answered_within_2s"] is not None
    assert over["server_errors_5xx"] == 0, over
    assert over["seconds_to_recover"] is not None
    assert logins["login_cpu"]["cpu_ms_per_login"] > 0
    assert "Monday morning" in result.stdout
