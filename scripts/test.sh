#!/usr/bin/env bash
# The README's test command (`make test`): lint, migrations, then two pytest runs
# (browser tests apart: sync Playwright and pytest-asyncio do not share a process).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DJANGO_SETTINGS_MODULE=ent.test_settings

echo "== ruff"
$BIN/ruff check .
$BIN/ruff format --check .

echo "== migrations"
$BIN/python manage.py makemigrations --check --dry-run

echo "== tests (unit, integration, WebSocket, services)"
$BIN/pytest -m "not browser" "$@"

echo "== browser tests (Chromium)"
DJANGO_ALLOW_ASYNC_UNSAFE=true $BIN/pytest -m browser -p no:asyncio tests/browser tests/identity "$@"
