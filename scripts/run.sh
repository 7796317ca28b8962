#!/usr/bin/env bash
# `make run`: the demo on embedded defaults. Starts the S3 server and the ASGI
# server, seeds the demo, and stops everything it started on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/.venv/bin

export DJANGO_DEBUG="${DJANGO_DEBUG:-true}"
export ENT_DEMO_MODE="${ENT_DEMO_MODE:-true}"
PORT="${PORT:-8000}"
S3_PORT="${S3_PORT:-8333}"
export S3_ENDPOINT="${S3_ENDPOINT:-127.0.0.1:$S3_PORT}"
export S3_ACCESS_KEY="${S3_ACCESS_KEY:-ent-dev-access}"
export S3_SECRET_KEY="${S3_SECRET_KEY:-ent-dev-secret-key}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"
# Celery as in production, on an embedded broker: kombu's filesystem transport
# (one file per message under var/broker/), a real worker and beat, so e-mails
# held by the night or quiet hours, digests and reminders go out on time, on
# this terminal (console e-mail and SMS backends), lines prefixed [worker].
# tests/ops/test_run_broker.py starts a worker with these lines.
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-filesystem://}"
export CELERY_TASK_ALWAYS_EAGER="${CELERY_TASK_ALWAYS_EAGER:-false}"
# One cache for the three processes (a task's writes forget cached pages).
export ENT_FILE_CACHE_DIR="${ENT_FILE_CACHE_DIR:-$PWD/var/cache}"
# weed mini opens more ports than the S3 one (HTTP + gRPC at port+10000 each); if
# one is busy it silently moves, so these are checked below and can be overridden.
WEED_MASTER_PORT="${WEED_MASTER_PORT:-9333}"
WEED_VOLUME_PORT="${WEED_VOLUME_PORT:-8080}"
WEED_FILER_PORT="${WEED_FILER_PORT:-8888}"
WEED_ADMIN_PORT="${WEED_ADMIN_PORT:-23646}"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
weed_ports=("$S3_PORT" "$WEED_MASTER_PORT" "$WEED_VOLUME_PORT" "$WEED_FILER_PORT" "$WEED_ADMIN_PORT")
for p in "$PORT" "${weed_ports[@]}" $(for w in "${weed_ports[@]}"; do echo $((w + 10000)); done); do
  if port_busy "$p"; then
    echo "Port $p is already in use (the S3 server also takes each of its ports + 10000)." >&2
    echo "Stop what uses it, or choose other ports, e.g.:" >&2
    echo "  PORT=8000 S3_PORT=8333 WEED_MASTER_PORT=9333 WEED_VOLUME_PORT=8080 WEED_FILER_PORT=8888 WEED_ADMIN_PORT=23646 make run" >&2
    exit 1
  fi
done

mkdir -p var
# The S3 data persists across runs, like the SQLite database next to it (files
# the demo uploaded stay downloadable). weed also saves its flags there and would
# reload them over ours: that file goes. (var/s3-* are fresh dirs of older runs.)
rm -rf var/s3-*
S3_DIR="var/s3"
mkdir -p "$S3_DIR"
rm -f "$S3_DIR/mini.options"

pids=()
cleanup() {
  trap - EXIT INT TERM
  echo
  echo "Stopping..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "Starting the S3 server (weed mini) on $S3_ENDPOINT ..."
AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" \
  "$BIN/weed" mini -dir="$S3_DIR" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$S3_PORT" \
  -master.port="$WEED_MASTER_PORT" -volume.port="$WEED_VOLUME_PORT" -filer.port="$WEED_FILER_PORT" \
  -admin.port="$WEED_ADMIN_PORT" \
  -webdav=false -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 \
  >"$S3_DIR.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://$S3_ENDPOINT/" || true)
  [ "$code" != "000" ] && break
  sleep 0.2
done
if [ "$code" = "000" ]; then
  echo "The S3 server did not start; see $S3_DIR.log (is port $S3_PORT busy?)" >&2
  exit 1
fi

"$BIN/python" manage.py migrate --noinput
# Web Push needs a VAPID key pair: without one in the environment, the demo makes
# one once in var/vapid.env and keeps it (browsers' subscriptions stay valid).
if [ -z "${WEBPUSH_VAPID_PRIVATE_KEY:-}${WEBPUSH_VAPID_PRIVATE_KEY_FILE:-}" ]; then
  "$BIN/python" manage.py vapid_keys var/vapid.env
  set -a
  # shellcheck disable=SC1091
  . var/vapid.env
  set +a
fi
# The bucket and its lifecycle rule (incomplete multipart uploads aborted after 1 day).
"$BIN/python" manage.py ensure_storage
"$BIN/python" manage.py compilemessages --ignore .venv >/dev/null 2>&1 || true
# Seeding runs its tasks in-process (it reads back what they built).
CELERY_TASK_ALWAYS_EAGER=true "$BIN/python" manage.py seed_demo

echo "Starting the Celery worker and beat (broker: var/broker/) ..."
# Process substitution keeps $! the worker's own PID (stopped on Ctrl-C) while its
# output, where the e-mails and SMS are printed, is prefixed on this terminal.
"$BIN/celery" -A ent worker --pool=solo --loglevel=INFO --without-gossip --without-mingle --without-heartbeat \
  -n "ent-run@%h" > >(sed -u 's/^/[worker] /') 2>&1 &
pids+=($!)
"$BIN/celery" -A ent beat --loglevel=INFO > >(sed -u 's/^/[beat] /') 2>&1 &
pids+=($!)

cat <<MSG

  ENT is running at http://127.0.0.1:$PORT/
  Demo logins (password: ent-demo-2026):
    admin      territory administrator
    direction  head of the secondary school
    cpe        vie scolaire (school office)
    referent   référent numérique
    prof       teacher of eleve's class
    parent     parent of two children in two schools (eleve is one of them)
    eleve      pupil
    parent2    another family (a child in eleve's class)
    prof2      a teacher of the other school
  E-mails and SMS (held ones too, digests at ${NOTIFY_DIGEST_HOUR:-18}:00, reminders)
  are printed here by the Celery worker: lines starting with [worker].
  Ctrl-C stops everything.

MSG

"$BIN/uvicorn" ent.asgi:application --host 127.0.0.1 --port "$PORT" --lifespan off --no-access-log &
pids+=($!)
wait "${pids[-1]}"
