"""A small run of the benchmark harness: it builds a tiny dataset, starts the
production layout, drives it with wrk and writes the report. The real
benchmark (`make bench`) is not part of the test suite."""

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
def test_bench_quick_run_writes_a_report(tmp_path):
    output = tmp_path / "latest.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(output.read_text())
    for key in ("connections", "requests_per_s", "served_per_s", "p50_ms", "p95_ms", "p99_ms", "errors", "busy_503"):
        assert key in report["mixed"]
    # Served = answered without a busy page or an error: at 5 connections, everything.
    assert report["mixed"]["served_per_s"] == report["mixed"]["requests_per_s"]
    assert report["baseline"]["requests_per_s"] > 0
    assert report["mixed"]["errors"] == 0
    # The same mix with the page cache off: what rendering every view costs.
    assert report["mixed_uncached"]["requests_per_s"] > 0 and report["mixed_uncached"]["errors"] == 0
    assert report["pages"], "no page measured"
    for name, page in report["pages"].items():
        assert page["served_per_s"] > 0, name
        assert page["queries_small"] == page["queries_large"], f"{name}: query count grows with data"
        # Page weight goal: HTML + CSS + JS of a first visit, compressed.
        assert 0 < page["weight_kb"] <= 100, (name, page["weight_kb"])
    expected = {
        "parent_home",
        "pupil_homework_week",
        "teacher_register",
        "teacher_register_post",
        "parent_absence_notice",
        "parent_conversations",
        "teacher_home",
        "api_homework_week",
        "api_conversations",
    }
    assert expected <= set(report["pages"]), sorted(report["pages"])
    # The register opened from the timetable needs a lesson today: on a day
    # without school it is reported missing, not measured on nothing.
    timetabled = "register_from_timetable" in report["pages"]
    assert timetabled or "register_from_timetable" in report["missing_pages"]
    # The posts are accepted (a redirect), not refused with their form shown again.
    for name in ("teacher_register_post", "parent_absence_notice"):
        page = report["pages"][name]
        assert page["redirects"] >= 0.9 * page["requests"], (name, page["redirects"], page["requests"])
    # GET pages report their query counts with 1 and 500 rows.
    gets = ["parent_home", "pupil_homework_week", "teacher_register", "parent_conversations", "teacher_home"]
    gets += ["api_homework_week", "api_conversations"] + (["register_from_timetable"] if timetabled else [])
    for name in gets:
        assert report["pages"][name]["queries_small"] is not None, name
    # A push to 30 parents' devices: the delivery rows written by the request, its time measured.
    push = report["push"]
    assert push["parents"] == 30 and push["push_deliveries_per_request"] == 30, push
    assert push["request_ms_median"] > 0, push
    assert report["machine"]["cores"] >= 1
    assert "| mixed |" in output.with_suffix(".md").read_text()
