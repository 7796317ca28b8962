#!/usr/bin/env bash
# `make bench`: needs PostgreSQL and Redis on 127.0.0.1 (as in CI) and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  echo "Installing wrk (Debian package)..."
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
exec .venv/bin/python -m bench.run "$@"
