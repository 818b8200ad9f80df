#!/usr/bin/env bash
# All tests of one server line, inside its sandbox (tools/sandbox.sh [--line
# 8.4]): the plugin built in the MySQL source tree, the other ways of
# configuring it (9.7 only: cargo fallback, option off, Debug), the Rust tests
# (9.7 only), and the whole auth_awsiam MTR suite on the chroot's mysqld,
# against a real LocalStack STS. Extra arguments go to mysql-test-run.
# It ends with the summary lines tools/test.sh collects, one per MTR run:
#   mtr MySQL <version>: N passed, 0 failed, 0 skipped
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/checks.sh"

build_plugin
check_build "$BUILD"
if [ "$LINE" = 9.7 ]; then
  check_other_configurations
else
  check_copied_plugin
fi

LS_DIR=/tmp/auth_awsiam-localstack
trap 'localstack_stop "$LS_DIR"' EXIT
localstack_start "$LS_DIR"

if [ "$LINE" = 9.7 ]; then
  say "cargo fmt --check, clippy"
  cd "$SRC"
  export CARGO_TARGET_DIR=/usr/src/mysql/cargo-target
  cargo fmt --all -- --check
  cargo clippy --workspace --all-targets --locked -q -- -D warnings
  say "cargo test (unit tests, and the integration test against LocalStack)"
  AUTH_AWSIAM_TEST_STS_ENDPOINT=$STS_ENDPOINT cargo test --workspace --locked
  bash "$SRC/tools/plugin_lock.sh" --check
fi

say "mysql-test-run --suite=auth_awsiam on MySQL $MYSQL_VERSION"
mtr_checked /tmp/auth_awsiam-mtr.log "$@"
summary="mtr MySQL $MYSQL_VERSION: $MTR_PASSED passed, 0 failed, 0 skipped"

if [ "$LINE" = 9.7 ]; then
  say "Again with the cargo-fallback build, which finds TLS through the THD: login_refused"
  with_plugin "$BUILD-no-corrosion" mtr_checked /tmp/auth_awsiam-mtr-thd.log login_refused
  say "Again with the Debug build of the plugin (maintainer mode): the whole suite"
  with_plugin "$BUILD-debug" mtr_checked /tmp/auth_awsiam-mtr-debug.log "$@"
  summary="$summary
mtr MySQL $MYSQL_VERSION, plugin Debug build: $MTR_PASSED passed, 0 failed, 0 skipped"
fi
echo "$summary"
