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
set -euo pipefail
proxy=${AUTH_AWSIAM_PROXY:?AUTH_AWSIAM_PROXY names auth_awsiam_proxy}
# The log without what changes from run to run.
shown() { sed -E -e 's/^[0-9TZ:-]+ //' -e 's/ \([0-9]+ ms\)//' "$@"; }

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
  *) echo "usage: proxy.sh start|stop|log|run ..." >&2; exit 2 ;;
esac
