#!/usr/bin/env bash
# The sandbox side of tools/bench.sh: one mysqld with the plugin, three STS doubles
# (tools/sts_double, answering after 0, 20 and 50 ms, each over HTTP and over HTTPS with a
# certificate from a test CA added to the system trust store for the run), a fourth for
# the fault storm (`phased`: hangs, throttles, errs, answers after 20 ms checking
# signatures, as its phase file says), the plugin's own CPU per JWT verification
# (examples/jwt_cost.rs, against the 0 ms double's test issuer), the connector packages'
# cost per token and challenge answer (tools/package_timing.py), auth_awsiam_proxy in
# front of the server (on the client's CPUs, as a sidecar), and the benchmark of tools/loadgen (`auth_awsiam_loadgen suite`, every login through
# libmysqlclient), which prints the tables and the `bench: NAME=VALUE` lines. `--smoke` runs every scenario with small counts (seconds),
# for CI; other options go to the suite (--seconds, --rounds, --soak).
#
# The client and the server share this machine's cores. So that the figures are the
# server's, mysqld is pinned to the upper half of the CPUs and the load generator with
# the doubles to the lower half (on 2 cores: one each); the suite shows how busy each
# side was, and what else ran meanwhile. BENCH_PIN=0 turns the pinning off.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

STATE=/tmp/auth_awsiam-bench
PORT=3311
CERTS=$STATE/certs
TEST_CA="$SRC/mysql-test/suite/auth_awsiam/include/test_ca.sh"
# Where the dynamic linker finds it, on whichever architecture.
LIBMYSQLCLIENT=$(ldconfig -p | awk -v so="$LIBMYSQLCLIENT_SONAME" '$1 == so { print $NF; exit }')
[ -n "$LIBMYSQLCLIENT" ] || { echo "no $LIBMYSQLCLIENT_SONAME in the dynamic linker's cache" >&2; exit 1; }
LATENCIES=(0 20 50)
# The fault storm's double answers after this, and checks signatures with the secret key
# the load generator signs its genuine tokens with (tools/loadgen/src/tokens.rs).
STORM_LATENCY_MS=20
BENCH_SECRET=bench-placeholder-secret-not-a-key
# The doubles answer this ARN; the account is the one they give a non-numeric access key
# (the load generator signs with one), and the role is the benchmark's MySQL user.
ARN_TEMPLATE='arn:aws:sts::{account}:assumed-role/BenchRole/loadgen'
ARN=${ARN_TEMPLATE/'{account}'/000000000000}

# The JWT section's audience (auth_awsiam_jwt_audience and the tokens' aud).
JWT_AUDIENCE=mysql://bench.example.com

# The smoke run reuses the debug build the tests already made; figures want release.
profile=release; profile_flag=(--release)
if [ "${1:-}" = --smoke ]; then profile=debug; profile_flag=(); fi
BIN=$CARGO_TARGET/$profile

cleanup() {
  if [ -f "$STATE/proxy.pid" ]; then
    local proxy; proxy=$(cat "$STATE/proxy.pid")
    kill "$proxy" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$proxy" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$proxy" 2>/dev/null || true
  fi
  server_stop "$STATE"
  bash "$TEST_CA" untrust || true
  for dir in "${LATENCIES[@]/#/$STATE/sts}" "$STATE/storm"; do
    if [ -f "$dir/sts_double.pid" ]; then "$BIN/sts_double" stop --dir "$dir"; fi
  done
  return 0
}
on_exit cleanup

# A whole test run (tools/inside/test.sh) has built and installed the plugin and the
# programs already, from its Debian packages, when it starts the smoke run.
[ -n "${AUTH_AWSIAM_PLUGIN_INSTALLED:-}" ] || build_plugin
say "Building the load generator and the STS double ($profile)"
export CARGO_TARGET_DIR=$CARGO_TARGET
# Every program of the workspace, as tools/inside/test.sh builds them before the smoke run:
# one set of features per crate, so the smoke run compiles nothing again.
(cd "$SRC" && cargo build --locked "${profile_flag[@]}" --workspace --bins)
(cd "$SRC" && cargo build --locked "${profile_flag[@]}" -p auth_awsiam_core --example jwt_cost)

# CPU split: the client side gets CPUs 0..n/2-1, mysqld the rest.
cpus=$(nproc)
client_cpus=; server_cpus=; server_ncpus=$cpus
if [ "${BENCH_PIN:-1}" != 0 ] && [ "$cpus" -ge 2 ]; then
  half=$((cpus / 2))
  server_ncpus=$((cpus - half))
  client_cpus=0; [ "$half" -gt 1 ] && client_cpus=0-$((half - 1))
  server_cpus=$half; [ "$((cpus - half))" -gt 1 ] && server_cpus=$half-$((cpus - 1))
fi
on_client() { if [ -n "$client_cpus" ]; then taskset -c "$client_cpus" "$@"; else "$@"; fi; }
on_server() { if [ -n "$server_cpus" ]; then taskset -c "$server_cpus" "$@"; else "$@"; fi; }

say "Starting the STS doubles (latency ${LATENCIES[*]} ms; HTTP and HTTPS)"
rm -rf "$STATE"; mkdir -p "$STATE"
# The plugin checks STS's certificate against the system trust store, read at its first
# HTTPS connection: the test CA goes in before mysqld starts, and out at the end.
bash "$TEST_CA" make "$CERTS"
bash "$TEST_CA" trust "$CERTS"
sts_args=(); helper_args=()
# What a double announced: double_value DIR NAME prints the value of NAME in DIR/ports.json
# (the names of its MTR include, $sts_double_NAME).
double_value() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1/ports.json" "$2"
}
for ms in "${LATENCIES[@]}"; do
  on_client "$BIN/sts_double" start --dir "$STATE/sts$ms" --listen ok=127.0.0.1:0 \
    --https "tls=$CERTS/good.pem,$CERTS/good.key" --latency-ms "$ms" --arn "$ARN_TEMPLATE"
  authority=$(double_value "$STATE/sts$ms" ok); authority=${authority#http://}
  https=$(double_value "$STATE/sts$ms" https_tls); https=${https#https://}
  sts_args+=(--sts "$ms=$authority" --sts-https "$ms=$https")
  helper_args+=(--helper-pid "$(cat "$STATE/sts$ms/sts_double.pid")")
done

on_client "$BIN/sts_double" start --dir "$STATE/storm" --listen phased=127.0.0.1:0 \
  --latency-ms "$STORM_LATENCY_MS" --secret-key "$BENCH_SECRET" --arn "$ARN_TEMPLATE"
storm_sts=$(double_value "$STATE/storm" phased); storm_sts=${storm_sts#http://}
helper_args+=(--helper-pid "$(cat "$STATE/storm/sts_double.pid")")

STS_ENDPOINT=http://${sts_args[1]#*=}
# The challenge logins' client plugin (auth_awsiam_client, loaded by libmysqlclient from
# the plugin directory) takes its credentials from a role_arn profile, as an application
# whose machine assumes a role does: one AssumeRole at the 0 ms double (which counts
# them, and answers its temporary keys as account 000000000000) per process, not per
# login. Nothing is read from instance metadata. It signs for the double's STS host (the
# challenges name it) because this client names it: it is no AWS host.
printf '%s\n' '[profile bench]' 'role_arn = arn:aws:iam::000000000000:role/BenchRole' \
  'source_profile = base' 'role_session_name = loadgen' '' '[profile base]' \
  'aws_access_key_id = ASIABENCHLOADGEN0001' "aws_secret_access_key = $BENCH_SECRET" \
  >"$STATE/aws_config"
client_aws_env=(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN
  AWS_PROFILE=bench AWS_CONFIG_FILE="$STATE/aws_config"
  AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
  AUTH_AWSIAM_STS_ENDPOINT="$STS_ENDPOINT")
jwt_issuer=$(double_value "$STATE/sts0" issuer)

# The plugin's own CPU per JWT verification (RS256, ES384) and per login whose JWT is
# cached, outside the server, on mysqld's CPUs before it starts (examples/jwt_cost.rs).
say "The plugin's own CPU per JWT verification (jwt_cost)"
cost_seconds=3; [ "$profile" = release ] || cost_seconds=0.2
"${client_aws_env[@]}" auth_awsiam_token --endpoint "$STS_ENDPOINT" --region us-east-1 \
  --jwt --audience "$JWT_AUDIENCE" --duration 900 --output "$STATE/bench.jwt"
{
  on_server "$BIN/examples/jwt_cost" "$cost_seconds"
  on_server "$BIN/examples/jwt_cost" hit "$cost_seconds" "$jwt_issuer" "$JWT_AUDIENCE" "$STATE/bench.jwt"
} | tee "$STATE/jwt_cost.out"
jwt_cost_lines=$(sed -n \
  -e 's/^jwt_cost: RS256 .*, \([0-9.]*\) us of CPU each.*/bench: cpu_us_per_jwt_verification_rs256=\1/p' \
  -e 's/^jwt_cost: ES384 .*, \([0-9.]*\) us of CPU each.*/bench: cpu_us_per_jwt_verification_es384=\1/p' \
  -e 's/^jwt_cost: cache hit .*, \([0-9.]*\) us of CPU each.*/bench: cpu_us_per_jwt_cache_hit=\1/p' \
  "$STATE/jwt_cost.out")
[ "$(wc -l <<<"$jwt_cost_lines")" = 3 ] || { echo "jwt_cost printed no figures" >&2; exit 1; }

# The connector packages (clients/): a token, and a challenge answer, in the application's
# process, against the auth_awsiam_token subprocess, with the same static keys (no STS
# call), on the client's CPUs (tools/package_timing.py).
say "Tokens and challenge answers in the application's process (clients/), against the token tool"
timing_count=300; [ "$profile" = release ] || timing_count=20
go_package build -o "$STATE/go_timing" ./timing
on_client env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID=AKIDBENCHPACKAGES \
  AWS_SECRET_ACCESS_KEY="$BENCH_SECRET" AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null \
  AWS_SHARED_CREDENTIALS_FILE=/dev/null NODE_PATH="$CONNECTORS_DIR/node_modules" \
  python3 "$SRC/tools/package_timing.py" "$timing_count" "$(command -v auth_awsiam_token)" \
  "python=$PYTHON_PACKAGE_VENV/bin/python $SRC/clients/python/timing.py" \
  "node=node $SRC/clients/node/timing.js" "go=$STATE/go_timing" >"$STATE/package_timing.out"
grep -v '^bench:' "$STATE/package_timing.out"
package_timing_lines=$(grep '^bench:' "$STATE/package_timing.out")

server_start "$STATE" "$PORT"
server_pid=$(cat "$STATE/mysqld.pid")
if [ -n "$server_cpus" ]; then
  # Every thread so far; threads started later inherit the mask.
  taskset -a -p -c "$server_cpus" "$server_pid" >/dev/null
  say "mysqld pinned to CPU $server_cpus, load generator and doubles to CPU $client_cpus"
else
  say "No CPU pinning: mysqld, load generator and doubles share $cpus CPUs"
fi

# The server's certificate from the test CA, for localhost: the proxy checks the name.
mysql --no-defaults --socket="$STATE/mysqld.sock" -uroot -e "SET GLOBAL ssl_ca = '$CERTS/ca.pem',
  ssl_cert = '$CERTS/good.pem', ssl_key = '$CERTS/good.key'; ALTER INSTANCE RELOAD TLS"
say "Starting auth_awsiam_proxy in front of the server (its socket $STATE/proxy.sock)"
# Not through on_client: a function in the background is a subshell, and $! would be its
# PID, not the proxy's (whose CPU the suite counts, and which cleanup stops).
pin=(); [ -z "$client_cpus" ] || pin=(taskset -c "$client_cpus")
"${pin[@]}" "${client_aws_env[@]}" auth_awsiam_proxy --server "localhost:$PORT" --ssl-ca "$CERTS/ca.pem" \
  --socket "$STATE/proxy.sock" --sts-endpoint "$STS_ENDPOINT" --region us-east-1 \
  --max-connections 512 --drain-timeout 1 >"$STATE/proxy.log" 2>&1 &
echo $! >"$STATE/proxy.pid"
for _ in $(seq 100); do [ -S "$STATE/proxy.sock" ] && break; sleep 0.1; done
[ -S "$STATE/proxy.sock" ] || { cat "$STATE/proxy.log" >&2; echo "auth_awsiam_proxy did not start" >&2; exit 1; }
# Its CPU is the client side's, like the doubles'.
helper_args+=(--helper-pid "$(cat "$STATE/proxy.pid")")

# `--only pool` is this script's section, not the suite's: the suite runs unless it is the
# only one asked for, and the pool section when no --only asks for others.
suite_args=(); only=()
while [ $# -gt 0 ]; do
  case $1 in
    --only) only+=("$2"); [ "$2" = pool ] || suite_args+=("$1" "$2"); shift 2 ;;
    *) suite_args+=("$1"); shift ;;
  esac
done
wants() { [ ${#only[@]} = 0 ] || [[ " ${only[*]} " == *" $1 "* ]]; }
suite_wanted=0; [ ${#only[@]} -gt 0 ] || suite_wanted=1
for o in "${only[@]}"; do [ "$o" = pool ] || suite_wanted=1; done

if [ "$suite_wanted" = 1 ]; then
  say "Benchmark (figures vary with the machine; compare the ratios)"
  on_client "${client_aws_env[@]}" "$BIN/auth_awsiam_loadgen" suite --socket "$STATE/mysqld.sock" \
    --tcp "127.0.0.1:$PORT" --ca "$CERTS/ca.pem" --server-pid "$server_pid" --proxy-socket "$STATE/proxy.sock" \
    --libmysqlclient "$LIBMYSQLCLIENT" --plugin-dir "$PLUGIN_DIR" --server-cpus "$server_ncpus" \
    "${sts_args[@]}" "${helper_args[@]}" --arn "$ARN" \
    --storm-sts "$storm_sts" --storm-phase-file "$STATE/storm/phase" --error-log "$STATE/mysqld.err" \
    --jwt-issuer "$jwt_issuer" --jwt-audience "$JWT_AUDIENCE" --token-tool "$(command -v auth_awsiam_token)" "${suite_args[@]}"
  echo "$jwt_cost_lines"
  echo "$package_timing_lines"
fi

# The thread pool: a caching_sha2_password session's SELECT 1 while 64 clients log in
# through the 50 ms double, with a thread per connection (this server), then with
# thread_pool.so (the server restarted with it, nothing else changed).
if wants pool; then
  pool_seconds=10; [ "$profile" = release ] || pool_seconds=0.5
  pool() {
    on_client "$BIN/auth_awsiam_loadgen" pool --socket "$STATE/mysqld.sock" \
      --libmysqlclient "$LIBMYSQLCLIENT" --sts "$(double_value "$STATE/sts50" ok | sed 's|^http://||')" \
      --account 000000000000 --server-pid "$(cat "$STATE/mysqld.pid")" --seconds "$pool_seconds" --label "$1"
  }
  say "Thread pool off: a thread per connection"
  pool off
  say "Thread pool on: mysqld restarted with thread_pool.so"
  server_stop "$STATE"
  server_start "$STATE" "$PORT" --plugin-load-add=thread_pool.so
  [ -z "$server_cpus" ] || taskset -a -p -c "$server_cpus" "$(cat "$STATE/mysqld.pid")" >/dev/null
  pool on
fi
