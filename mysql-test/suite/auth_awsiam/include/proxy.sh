#!/usr/bin/env bash
# auth_awsiam_proxy for the MTR test 'proxy', as a service manager runs it: in the
# background, its log in a file, stopped with SIGTERM.
#
#   proxy.sh start DIR [ENV=VALUE...] -- ARGS...   starts $AUTH_AWSIAM_PROXY ARGS with the
#                              environment given, waits (up to 20 s) until it listens
#   proxy.sh stop DIR          SIGTERM, then waits (up to 20 s) for it to exit
#   proxy.sh log DIR           its log so far, without times and login durations
#   proxy.sh run [ENV=VALUE...] -- ARGS...   runs it in the foreground (a refused start):
#                              prints its log lines and exit status
#   proxy.sh health DIR        GET of its --health-listen address (from its log): the
#                              status line and the body
#   proxy.sh probe SOCKET      what a careless monitor does: connects, reads the
#                              greeting, leaves
set -euo pipefail
proxy=${AUTH_AWSIAM_PROXY:?AUTH_AWSIAM_PROXY names auth_awsiam_proxy}
# The log without what changes from run to run (times, durations, loopback ports).
shown() { sed -E -e 's/^[0-9TZ:-]+ //' -e 's/ \([0-9]+ ms\)//' -e 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/g' "$@"; }

cmd=$1; shift
case $cmd in
  start)
    dir=$1; shift
    env_args=()
    while [ "$1" != -- ]; do env_args+=("$1"); shift; done
    shift
    mkdir -p "$dir"
    env "${env_args[@]}" "$proxy" "$@" >"$dir/log" 2>&1 &
    echo $! >"$dir/pid"
    for _ in $(seq 200); do
      if grep -q ' -> ' "$dir/log"; then exit 0; fi
      if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
        echo "auth_awsiam_proxy exited at start:"; shown "$dir/log"; exit 1
      fi
      sleep 0.1
    done
    echo "auth_awsiam_proxy did not start within 20 s"; exit 1 ;;
  stop)
    dir=$1; pid=$(cat "$dir/pid")
    kill -TERM "$pid"
    for _ in $(seq 200); do
      if ! kill -0 "$pid" 2>/dev/null; then rm -f "$dir/pid"; exit 0; fi
      sleep 0.1
    done
    kill -KILL "$pid"; echo "auth_awsiam_proxy did not stop within 20 s of SIGTERM"; exit 1 ;;
  log) shown "$1/log" ;;
  run)
    env_args=()
    while [ "$1" != -- ]; do env_args+=("$1"); shift; done
    shift
    status=0
    env "${env_args[@]}" "$proxy" "$@" >"${TMPDIR:-/tmp}/proxy-run.$$" 2>&1 || status=$?
    shown "${TMPDIR:-/tmp}/proxy-run.$$"; rm -f "${TMPDIR:-/tmp}/proxy-run.$$"
    echo "exit status $status" ;;
  health)
    addr=$(sed -n 's|.*health probes: http://\([0-9.]*:[0-9]*\)/.*|\1|p' "$1/log")
    exec 3<>"/dev/tcp/${addr%:*}/${addr#*:}"
    printf 'GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n' "$addr" >&3
    tr -d '\r' <&3 | sed -n -e 1p -e '/^$/,$p' | sed '/^$/d' ;;
  probe)
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.recv(4096)
s.close()' "$1" ;;
  *) echo "usage: proxy.sh start|stop|log|run|health|probe ..." >&2; exit 2 ;;
esac
