#!/usr/bin/env bash
# Fuzzes every parser of outside input with libFuzzer (cargo-fuzz), on the host's stable
# Rust, and prints one line per target: executions, crashes, coverage.
#
#   tools/fuzz.sh                  a campaign: 2,000,000 executions per target
#   tools/fuzz.sh --runs N         N executions per target
#   tools/fuzz.sh --smoke          a few seconds in all (what tools/test.sh runs)
#   tools/fuzz.sh [opts] TARGET..  only these targets (see fuzz/Cargo.toml)
#
# Any crash fails the run; its input is kept under fuzz/artifacts/TARGET/ (replay it with
# `cargo fuzz run --fuzz-dir fuzz TARGET FILE`). The grown corpus is kept in
# $AUTH_AWSIAM_FUZZ_CORPUS (default /var/cache/auth_awsiam/fuzz-corpus), seeded from
# fuzz/seeds/, so each campaign starts where the last one ended.
#
# cargo-fuzz wants nightly for its sanitizer flags; with `-s none` the only unstable
# option left is libFuzzer's coverage instrumentation, which stable rustc allows under
# RUSTC_BOOTSTRAP=1. No sanitizer is needed: the core has no unsafe code outside the ffi
# module (ffi.rs, ffi/), which no target calls, so a memory error cannot happen in what is fuzzed.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=pins.sh
source "$REPO/tools/pins.sh"
RUNS=2000000
SMOKE_SECONDS=3
smoke=false
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --smoke) smoke=true; shift ;;
    -*) echo "usage: $0 [--runs N | --smoke] [TARGET...]" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

export PATH="$HOME/.cargo/bin:$PATH"
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]; then
  echo "[fuzz] installing cargo-fuzz $CARGO_FUZZ_VERSION (once)" >&2
  cargo install --quiet --locked --version "$CARGO_FUZZ_VERSION" cargo-fuzz
fi
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$CACHE_DIR/fuzz-target}
CORPUS=${AUTH_AWSIAM_FUZZ_CORPUS:-$CACHE_DIR/fuzz-corpus}
cd "$REPO"
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)

echo "[fuzz] building ${#targets[@]} targets" >&2
# cargo fuzz has no --locked: the fuzz workspace's lock is checked first, so that
# a lock behind the core's dependencies fails here instead of being rewritten.
cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null ||
  { echo "[fuzz] fuzz/Cargo.lock is out of date: run 'cargo update --manifest-path fuzz/Cargo.toml -w' and commit it" >&2; exit 1; }
cargo fuzz build --fuzz-dir fuzz -s none -O >/dev/null 2>/tmp/auth_awsiam-fuzz-build.log ||
  { tail -n 30 /tmp/auth_awsiam-fuzz-build.log >&2; exit 1; }

# One run of one target; prints "executions crashes covered instrumented exec/s".
run_target() {
  local t=$1 log=/tmp/auth_awsiam-fuzz-$1.log limit
  mkdir -p "$CORPUS/$t" "fuzz/artifacts/$t"
  cp -n fuzz/seeds/"$t"/* "$CORPUS/$t/" 2>/dev/null || true
  if $smoke; then limit=-max_total_time=$SMOKE_SECONDS; else limit=-runs=$RUNS; fi
  local before after status=0
  before=$(find "fuzz/artifacts/$t" -type f | wc -l)
  cargo fuzz run --fuzz-dir fuzz -s none -O "$t" "$CORPUS/$t" -- \
    "$limit" -max_len=16384 -print_final_stats=1 -timeout=10 >"$log" 2>&1 || status=$?
  after=$(find "fuzz/artifacts/$t" -type f | wc -l)
  local execs cov total rate
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
  total=$(grep -oE 'Loaded 1 modules +\([0-9]+ inline' "$log" | grep -oE '[0-9]+' | tail -n 1)
  local crashes=$((after - before))
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    crashes=1   # libFuzzer stopped on a failure that left no artifact (e.g. out of memory)
  fi
  echo "${execs:-0} $crashes ${cov:-0} ${total:-0} ${rate:-0}"
}

printf '%-12s %12s %8s %22s %10s\n' target executions crashes "coverage (edges)" exec/s
total_execs=0 total_crashes=0
for t in "${targets[@]}"; do
  read -r execs crashes cov total rate < <(run_target "$t")
  pct=$(awk -v c="$cov" -v t="$total" 'BEGIN { if (t > 0) printf "%.1f%%", 100 * c / t; else print "?" }')
  printf '%-12s %12s %8s %22s %10s\n' "$t" "$execs" "$crashes" "$cov of $total ($pct)" "$rate"
  [ "$crashes" -eq 0 ] || echo "  crash input(s) in fuzz/artifacts/$t/; log: /tmp/auth_awsiam-fuzz-$t.log"
  total_execs=$((total_execs + execs)) total_crashes=$((total_crashes + crashes))
done
echo "fuzz: $total_execs executions, $total_crashes crashes, ${#targets[@]} targets"
echo "(coverage: edges reached of all instrumented in the target binary, dependencies included)"
[ "$total_crashes" -eq 0 ]
