#!/usr/bin/env bash
# Starts LocalStack (STS and IAM only, no Docker) in the background, inside the sandbox chroot.
#
#   tools/localstack/start.sh [DIR]     DIR defaults to /tmp/localstack
#
# Writes DIR/localstack.pid and DIR/localstack.log, keeps LocalStack's files under DIR, and
# returns once /_localstack/health reports sts running (90 s at most). Port: $LOCALSTACK_PORT
# (default in tools/pins.sh); venv: $LOCALSTACK_VENV (the same). Stop it with
# tools/localstack/stop.sh DIR.
set -euo pipefail

VENV=${LOCALSTACK_VENV:-}
# shellcheck source=../pins.sh
source "$(dirname "${BASH_SOURCE[0]}")/../pins.sh"
DIR=${1:-/tmp/localstack}
PORT=${LOCALSTACK_PORT:-$LOCALSTACK_PORT_DEFAULT}
VENV=${VENV:-$LOCALSTACK_VENV_DIR}
PIDFILE=$DIR/localstack.pid
LOGFILE=$DIR/localstack.log

[ -x "$VENV/bin/python" ] || { echo "start.sh: no LocalStack venv at $VENV (run tools/sandbox.sh provision)" >&2; exit 1; }
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "start.sh: LocalStack already running (pid $(cat "$PIDFILE"))" >&2; exit 1
fi
mkdir -p "$DIR/fs"
rm -f "$PIDFILE"

# Host mode (not the Docker image), all its files under FILESYSTEM_ROOT, services started at
# once so that health says "running". Nothing may reach the internet: no DNS server (it probes
# localstack.cloud), no TLS certificate download, no analytics events.
env GATEWAY_LISTEN="127.0.0.1:$PORT" SERVICES=sts,iam EAGER_SERVICE_LOADING=1 \
  OVERRIDE_IN_DOCKER=0 FILESYSTEM_ROOT="$DIR/fs" PERSISTENCE=0 \
  DNS_ADDRESS=0 SKIP_SSL_CERT_DOWNLOAD=1 DISABLE_EVENTS=1 \
  setsid "$VENV/bin/python" -m localstack.runtime.main </dev/null >"$LOGFILE" 2>&1 &
pid=$!
echo "$pid" > "$PIDFILE"

for _ in $(seq 180); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start.sh: LocalStack exited during startup; last log lines:" >&2
    tail -n 30 "$LOGFILE" >&2; rm -f "$PIDFILE"; exit 1
  fi
  health=$(curl -fsS --max-time 2 "http://127.0.0.1:$PORT/_localstack/health" 2>/dev/null || true)
  if [[ $health =~ \"sts\":\ *\"running\" ]]; then
    # The first STS request loads LocalStack's STS code, which took over 5 s on a busy
    # machine: make it here, not in the first test (an unsigned call answers as root).
    curl -sS --max-time 60 -o /dev/null -d 'Action=GetCallerIdentity&Version=2011-06-15' \
      "http://127.0.0.1:$PORT/" || true
    echo "LocalStack ready on 127.0.0.1:$PORT (pid $pid)"
    exit 0
  fi
  sleep 0.5
done
echo "start.sh: LocalStack not ready after 90 s; last log lines:" >&2
tail -n 30 "$LOGFILE" >&2
"$(dirname "${BASH_SOURCE[0]}")/stop.sh" "$DIR" >&2 || true
exit 1
