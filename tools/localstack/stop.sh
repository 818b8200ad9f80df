#!/usr/bin/env bash
# Stops the LocalStack that tools/localstack/start.sh DIR started (DIR defaults to
# /tmp/localstack): its whole process group, TERM first, KILL after 15 s.
set -uo pipefail

DIR=${1:-/tmp/localstack}
PIDFILE=$DIR/localstack.pid
[ -f "$PIDFILE" ] || { echo "stop.sh: no $PIDFILE, nothing to stop" >&2; exit 0; }
pid=$(cat "$PIDFILE")
case "$pid" in ''|*[!0-9]*) echo "stop.sh: bad pid in $PIDFILE" >&2; exit 1 ;; esac

# setsid made LocalStack the leader of its own process group, whose id is its pid.
alive() { kill -0 -- "-$pid" 2>/dev/null; }
if alive; then
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 150); do alive || break; sleep 0.1; done
  if alive; then
    echo "stop.sh: LocalStack (pid $pid) still up after 15 s, killing it" >&2
    kill -KILL -- "-$pid" 2>/dev/null || true
    for _ in $(seq 50); do alive || break; sleep 0.1; done
  fi
fi
rm -f "$PIDFILE"
if alive; then echo "stop.sh: LocalStack (pid $pid) did not exit" >&2; exit 1; fi
exit 0
