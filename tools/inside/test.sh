#!/usr/bin/env bash
# All tests of one server line, inside its sandbox (tools/sandbox.sh [--line
# 8.4]): the plugin built in the MySQL source tree by the line's Debian packages
# (tools/inside/packages.sh), which are installed here; the other ways of configuring
# it (cargo fallback; 9.7 also option off and Debug), the Rust tests (9.7 only), and the
# whole auth_awsiam MTR suite on the chroot's mysqld, against a real LocalStack STS.
# Extra arguments go to mysql-test-run.
# AUTH_AWSIAM_QUICK=1 (for working on a test, never CI): only the main build and the
# MTR tests named, none of the other configurations, cargo checks or benchmark.
# It ends with the summary lines tools/test.sh collects, one per MTR run:
#   mtr MySQL <version>: N passed, 0 failed, 0 skipped
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
# shellcheck source=checks.sh
source "$(dirname "$0")/checks.sh"

QUICK=${AUTH_AWSIAM_QUICK:-}
# A whole run builds each line as a packager does, from its Debian packages, and every
# other configuration shares that build's compiled crates: one release build of every
# crate per line (minutes each on a new machine). A quick run on 9.7 builds with the
# CMake driver, linked from this checkout (common.sh), which rebuilds faster while
# working on the code.
[ -n "$QUICK" ] || PLACEMENT=PACKAGE
build_plugin
check_build "$BUILD"
if [ -n "$QUICK" ]; then
  say "AUTH_AWSIAM_QUICK: other configurations, cargo checks and the benchmark skipped"
else
  check_vendored_plugin
  if [ "$LINE" = 9.7 ]; then check_other_configurations; else check_old_cargo_refused; fi
fi

LS_DIR=/tmp/auth_awsiam-localstack
# sts_https adds a test CA to the system trust store for itself; never leave it behind.
TEST_CA="$SRC/mysql-test/suite/auth_awsiam/include/test_ca.sh"
stop_localstack_and_untrust() { localstack_stop "$LS_DIR"; bash "$TEST_CA" untrust || true; }
on_exit stop_localstack_and_untrust
localstack_start "$LS_DIR"

export CARGO_TARGET_DIR=$CARGO_TARGET
# Line tables only: a panic's backtrace still names file and line, and the test build
# of every crate takes about a tenth of the disk of full debug info (10 GB), to copy
# when a new checkout is seeded (common.sh) and to link.
export CARGO_PROFILE_DEV_DEBUG=line-tables-only
# In the test profile: on 9.7 the workspace's programs, which share nearly every
# compiled crate with `cargo test --workspace` and the benchmark's smoke run below (a
# release build of the double alone compiled its crates once more: minutes on a new
# machine). A crate's features are those of everything built in one cargo call, so the
# calls must build the same packages for their crates to be shared.
say "Building sts_double (the fault STS and test token issuer of the MTR tests and of the token tool's --jwt tests)"
double_build=(-p sts_double)
[ "$LINE" != 9.7 ] || [ -n "$QUICK" ] || double_build=(--workspace --bins)
(cd "$SRC" && cargo build --locked -q "${double_build[@]}")
export STS_DOUBLE=$CARGO_TARGET/debug/sts_double
[ -x "$STS_DOUBLE" ]

if [ "$LINE" = 9.7 ] && [ -z "$QUICK" ]; then
  say "cargo fmt --check, clippy"
  cd "$SRC" || exit 1
  cargo fmt --all -- --check
  cargo clippy --workspace --all-targets --locked -q -- -D warnings
  say "cargo test (unit tests, the integration test against LocalStack, --jwt against sts_double)"
  AUTH_AWSIAM_TEST_STS_ENDPOINT=$STS_ENDPOINT AUTH_AWSIAM_STS_DOUBLE=$STS_DOUBLE \
    cargo test --workspace --locked
  bash "$SRC/tools/plugin_lock.sh" --check
  say "The protocol's test vectors, checked with botocore's signer (LocalStack's venv)"
  "$LOCALSTACK_VENV_DIR/bin/python" "$SRC/tools/protocol_vectors.py"
  say "The Python package's own tests (clients/python; its formats against the same vectors)"
  PYTHONDONTWRITEBYTECODE=1 "$PYTHON_PACKAGE_VENV/bin/python" -m unittest discover -s "$SRC/clients/python/tests"
  say "The Node.js package's own tests (clients/node; the same vectors)"
  (cd "$SRC/clients/node" && NODE_PATH="$CONNECTORS_DIR/node_modules" node --test)
  say "The Go package's own tests (clients/go, GOPATH mode on the distribution's AWS SDK)"
  go_package test ./awsiam/
  say "The MTR report reader's own tests (tools/inside/test_mtr_report.py)"
  PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s "$SRC/tools/inside" -p 'test_*.py'
fi

# Tests not run on this line, and the summary says which and why (a skip would fail the
# run, and must never pass for one): a part this line's packages do not have, or a known
# fault of the test there, with its issue.
not_here=()
if [ "$LINE" = 8.4 ]; then
  not_here=("thread_pool (MySQL 8.4's packages have no thread_pool.so: Enterprise only there)")
fi
if [ "$#" = 0 ] && [ ${#not_here[@]} -gt 0 ]; then
  for t in "$SRC"/mysql-test/suite/auth_awsiam/t/*.test; do
    t=$(basename "$t" .test)
    [[ " ${not_here[*]%% *} " == *" $t "* ]] || set -- "$@" "$t"
  done
fi

say "mysql-test-run --suite=auth_awsiam on MySQL $MYSQL_VERSION"
mtr_checked /tmp/auth_awsiam-mtr.log "$@"
summary="mtr MySQL $MYSQL_VERSION: $MTR_PASSED passed, 0 failed, 0 skipped"
for t in "${not_here[@]}"; do summary="$summary
mtr MySQL $MYSQL_VERSION: not run on this line: $t"; done

if [ "$LINE" = 9.7 ] && [ -z "$QUICK" ]; then
  say "Again with the cargo-fallback build, which finds TLS through the THD: login_refused"
  with_plugin "$BUILD-no-corrosion" mtr_checked /tmp/auth_awsiam-mtr-thd.log login_refused
  # The Debug build is compiled and loaded; the suite on it is cut to the install and
  # login stories to bound the run's time (the code is the same as the main build's).
  say "Again with the Debug build of the plugin (maintainer mode): install, login"
  with_plugin "$BUILD-debug" mtr_checked /tmp/auth_awsiam-mtr-debug.log install login
  summary="$summary
mtr MySQL $MYSQL_VERSION, plugin Debug build: $MTR_PASSED passed, 0 failed, 0 skipped"
  # The benchmark, every scenario with small counts, so that it cannot rot: on the plugin
  # and programs this run installed.
  [ "$#" -gt 0 ] || AUTH_AWSIAM_PLUGIN_INSTALLED=1 bash "$SRC/tools/inside/bench.sh" --smoke
fi
echo "$summary"
