#!/usr/bin/env bash
# The sandbox side of tools/bench.sh: one server, one LocalStack, and the
# connection-rate table of tools/bench/connect_rate.py.
source "$(dirname "$0")/common.sh"

STATE=/tmp/auth_awsiam-bench
PORT=3311
cleanup() { server_stop "$STATE"; localstack_stop "$STATE/localstack"; }
trap cleanup EXIT

build_plugin
localstack_start "$STATE/localstack"
server_start "$STATE" "$PORT"
mysql --no-defaults --socket="$STATE/mysqld.sock" -uroot -e "
  CREATE USER 'bench_sha2'@'localhost' IDENTIFIED WITH caching_sha2_password BY 'bench-password';
  CREATE USER 'AppRole'@'localhost' IDENTIFIED WITH auth_awsiam;"
mint_option_file AppRole "$STATE/token.cnf"
sed -n 's/^password=//p' "$STATE/token.cnf" > "$STATE/token"
say "Connection rate (figures vary with the machine; compare the ratios)"
python3 "$SRC/tools/bench/connect_rate.py" --socket "$STATE/mysqld.sock" \
  --token-file "$STATE/token" "$@"
