#!/usr/bin/env bash
# MySQL Router in front of a group, for the MTR test 'cluster_router', as a DBA runs it
# without the InnoDB Cluster metadata (a static configuration: MySQL Shell, which writes
# that metadata, is not packaged by Debian or Ubuntu).
#
#   router.sh start DIR DESTINATIONS CERT KEY   writes DIR/router.conf with two classic-
#       protocol routes to DESTINATIONS (HOST:PORT,... in order: the first that answers
#       takes the connection), starts mysqlrouter and waits (up to 30 s) until both listen:
#         passthrough  TLS from the client straight to the member (client_ssl_mode
#                      PASSTHROUGH): what IAM logins need
#         terminating  Router ends the client's TLS with CERT/KEY and opens its own to the
#                      member (client_ssl_mode REQUIRED)
#       Prints nothing; DIR/ports.inc sets $router_passthrough_port and
#       $router_terminating_port for mysqltest.
#   router.sh stop DIR                          SIGTERM, waits (up to 20 s) for it to exit
#   router.sh log DIR PATTERN                   its log lines matching PATTERN, without times
set -euo pipefail
router=${MYSQLROUTER:-$(command -v mysqlrouter)}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

cmd=$1; shift
case $cmd in
  start)
    dir=$1 destinations=$2 cert=$3 key=$4
    mkdir -p "$dir"
    passthrough=$(free_port); terminating=$(free_port)
    cat >"$dir/router.conf" <<CONF
[DEFAULT]
logging_folder=$dir
runtime_folder=$dir
data_folder=$dir

[logger]
level=INFO

[routing:passthrough]
bind_address=127.0.0.1
bind_port=$passthrough
destinations=$destinations
routing_strategy=first-available
protocol=classic
client_ssl_mode=PASSTHROUGH

[routing:terminating]
bind_address=127.0.0.1
bind_port=$terminating
destinations=$destinations
routing_strategy=first-available
protocol=classic
client_ssl_mode=REQUIRED
client_ssl_cert=$cert
client_ssl_key=$key
server_ssl_mode=REQUIRED
server_ssl_verify=DISABLED
CONF
    user=(); [ "$(id -u)" != 0 ] || user=(--user=root)
    "$router" "${user[@]}" --config="$dir/router.conf" --pid-file="$dir/router.pid" \
      >"$dir/stdout" 2>&1 &
    for _ in $(seq 300); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$passthrough") 2>/dev/null &&
         (exec 3<>"/dev/tcp/127.0.0.1/$terminating") 2>/dev/null; then
        # shellcheck disable=SC2016 # mysqltest's variables, written as they are
        printf -- '--let $router_passthrough_port = %s\n--let $router_terminating_port = %s\n' \
          "$passthrough" "$terminating" >"$dir/ports.inc"
        exit 0
      fi
      if [ -f "$dir/router.pid" ] && ! kill -0 "$(cat "$dir/router.pid")" 2>/dev/null; then break; fi
      sleep 0.1
    done
    echo "mysqlrouter did not start:"; cat "$dir/stdout" "$dir"/mysqlrouter.log 2>/dev/null | tail -20
    exit 1 ;;
  stop)
    dir=$1; pid=$(cat "$dir/router.pid")
    kill -TERM "$pid"
    for _ in $(seq 200); do
      if ! kill -0 "$pid" 2>/dev/null; then exit 0; fi
      sleep 0.1
    done
    kill -KILL "$pid"; echo "mysqlrouter did not stop within 20 s of SIGTERM"; exit 1 ;;
  log)
    grep -E -- "$2" "$1/mysqlrouter.log" | sed -E 's/^[0-9-]+ [0-9:.]+ //' ;;
  *) echo "usage: router.sh start|stop|log ..." >&2; exit 2 ;;
esac
