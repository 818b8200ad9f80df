#!/usr/bin/env bash
# All tests, inside the sandbox: the Rust unit and integration tests, then the
# plugin built in the MySQL tree and the auth_awsiam MTR suite on Debian's
# mysqld, both against a real LocalStack STS. A skipped MTR test is a failure.
source "$(dirname "$0")/common.sh"

build_plugin

# The two other ways the tree may be configured: without Corrosion (the plain
# cargo fallback must give the same targets) and with the option off (the
# tree must configure as if the plugin were not there). The fallback build
# also takes the TLS check of servers before 9.x (through the THD), which the
# MTR run below exercises too.
say "Building again without Corrosion (cargo fallback), and configuring with the option off"
cmake -S "$TREE" -B "$BUILD-no-corrosion" -DWITH_AUTH_AWSIAM=ON -DAUTH_AWSIAM_TLS_FROM_THD=ON \
      -DCMAKE_DISABLE_FIND_PACKAGE_Corrosion=ON $MYSQL_CMAKE_ARGS >/tmp/no-corrosion.log 2>&1 ||
  { tail -n 30 /tmp/no-corrosion.log; exit 1; }
grep -q "Corrosion not found, building the Rust core with plain cargo" /tmp/no-corrosion.log
cmake --build "$BUILD-no-corrosion" --parallel "$(nproc)" --target auth_awsiam auth_awsiam_cli >/tmp/no-corrosion.log 2>&1 ||
  { tail -n 30 /tmp/no-corrosion.log; exit 1; }
nm -D --defined-only "$BUILD-no-corrosion/plugin_output_directory/auth_awsiam.so" | grep -q _mysql_plugin_declarations_
"$BUILD-no-corrosion/runtime_output_directory/auth_awsiam_token" --version
cmake -S "$TREE" -B "$BUILD-off" -DWITH_AUTH_AWSIAM=OFF $MYSQL_CMAKE_ARGS >/tmp/off.log 2>&1 ||
  { tail -n 30 /tmp/off.log; exit 1; }
if cmake --build "$BUILD-off" --target help | grep -q awsiam; then
  echo "with -DWITH_AUTH_AWSIAM=OFF the tree still has auth_awsiam targets" >&2; exit 1
fi
echo "cargo fallback: auth_awsiam.so and auth_awsiam_token built; option off: no auth_awsiam target"

LS_DIR=/tmp/auth_awsiam-localstack
trap 'localstack_stop "$LS_DIR"' EXIT
localstack_start "$LS_DIR"

say "cargo fmt --check, clippy"
cd "$SRC"
export CARGO_TARGET_DIR=/usr/src/mysql/cargo-target
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -q -- -D warnings

say "cargo test (unit tests, and the integration test against LocalStack)"
AUTH_AWSIAM_TEST_STS_ENDPOINT=$STS_ENDPOINT cargo test --workspace --locked

say "Building sts_double (the fault STS of the MTR fault test)"
cargo build --release --locked -p sts_double
STS_DOUBLE=$CARGO_TARGET_DIR/release/sts_double
[ -x "$STS_DOUBLE" ]

VARDIR=/tmp/auth_awsiam-mtr
mtr() {
  rm -rf "$VARDIR"
  (cd "$MTR_HOME" &&
   env AUTH_AWSIAM_STS_ENDPOINT="$STS_ENDPOINT" AUTH_AWSIAM_TOKEN=/usr/local/bin/auth_awsiam_token \
       AUTH_AWSIAM_STS_DOUBLE="$STS_DOUBLE" CI=1 \
       AWS_ACCESS_KEY_ID=123456789012 AWS_SECRET_ACCESS_KEY=mtr-server-placeholder-secret \
       AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
     perl ./mysql-test-run.pl --client-bindir="$MTR_HOME/bin" --suite=auth_awsiam \
       --vardir="$VARDIR" --parallel=1 --force --max-test-fail=0 --retry=0 \
       --report-unstable-tests "$@")
}

say "mysql-test-run --suite=auth_awsiam"
set +e
mtr "$@" 2>&1 | tee /tmp/auth_awsiam-mtr.log
mtr_status=${PIPESTATUS[0]}
# sts_faults stops its double itself; a test that died on the way leaves it to us.
if [ -f "$VARDIR/tmp/sts_double/sts_double.pid" ]; then
  "$STS_DOUBLE" stop --dir "$VARDIR/tmp/sts_double" || true
fi
set -e
if [ "$mtr_status" -ne 0 ]; then
  echo "mtr failed (exit $mtr_status); server logs under $VARDIR/log" >&2
  exit 1
fi
# mtr exits 0 when tests skip; here a skip means the suite did not really run.
if grep -E '^\[ *[0-9]+%\] auth_awsiam\.[a-z_]+ +.*\[ skipped \]' /tmp/auth_awsiam-mtr.log; then
  echo "auth_awsiam MTR tests were skipped: that is a failure here" >&2
  exit 1
fi
say "Again with the cargo-fallback build, which finds TLS through the THD: login_refused"
install -m 0644 "$BUILD-no-corrosion/plugin_output_directory/auth_awsiam.so" "$PLUGIN_DIR/auth_awsiam.so"
VARDIR=/tmp/auth_awsiam-mtr-thd mtr login_refused >/tmp/auth_awsiam-mtr-thd.log 2>&1 ||
  { tail -n 60 /tmp/auth_awsiam-mtr-thd.log; echo "login_refused failed with the THD TLS check" >&2; exit 1; }
grep -E '^\[ *[0-9]+%\] auth_awsiam\.login_refused +\[ pass \]' /tmp/auth_awsiam-mtr-thd.log
install -m 0644 "$BUILD/plugin_output_directory/auth_awsiam.so" "$PLUGIN_DIR/auth_awsiam.so"
passed=$(grep -cE '^\[ *[0-9]+%\] auth_awsiam\.[a-z_]+ +.*\[ pass \]' /tmp/auth_awsiam-mtr.log || true)
[ "$passed" -gt 0 ] || { echo "no auth_awsiam MTR test ran" >&2; exit 1; }
echo "mtr: $passed passed, 0 failed"
