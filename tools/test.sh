#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian 12 machine, as root, on the
# server lines chosen below: builds the sandboxes if needed (a Debian sid chroot with MySQL
# 9.7.4, an Ubuntu 26.04 chroot with MySQL 8.4.13, each with LocalStack), then
# in each one builds the plugin in the MySQL source tree and runs the whole
# auth_awsiam MTR suite; on 9.7 also the other build configurations and cargo
# fmt/clippy/test, the benchmark's smoke run, and a fuzz smoke run of every
# parser, and the documentation's Sphinx build; on each line the Debian packages, built
# offline and installed into a bare chroot (tools/package_check.sh); first, shellcheck on
# every shell script. Extra arguments go to mysql-test-run
# (e.g. a test name).
# Ends with one summary line per server line and the total.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=pins.sh
source "$here/pins.sh"
work=$(mktemp -d /tmp/auth_awsiam-test.XXXXXX)
# A line running beside the first is let finish (a chroot is never left half-made), and
# its output is shown, also when the first line failed.
trap 'wait; cat "$work"/line-*.log 2>/dev/null || true; rm -rf "$work"' EXIT
log=$work/summary.log
full_run=
[ "$#" -gt 0 ] || [ -n "${AUTH_AWSIAM_QUICK:-}" ] || full_run=1
# Every shell script, first: it takes seconds.
[ -z "$full_run" ] || bash "$here/shellcheck.sh"
# Every parser of outside input under libFuzzer for a few seconds each (on the host's
# Rust; tools/fuzz.sh runs a whole campaign), and the user documentation, built by Sphinx
# with warnings as errors. On the host, beside the lines: the chroots' downloads and
# tests leave a CPU idle for long stretches, which a new machine's fuzz build fills
# (run after the lines, they took 8 minutes of a cold run). Their output is shown at the end.
host_checks=
if [ -n "$full_run" ]; then
  (bash "$here/fuzz.sh" --smoke && bash "$here/docs.sh") >"$work/host-checks.log" 2>&1 &
  host_checks=$!
fi
# The server lines to test, both by default (AUTH_AWSIAM_LINES=9.7 for one).
read -r -a lines <<<"${AUTH_AWSIAM_LINES:-9.7 8.4}"
# One line's tests inside its chroot, then on a whole run its Debian packages (its run
# built them), installed into a bare chroot of the line with apt-get; the plugin
# installed from SQL; logins.
run_line() {
  local line=$1; shift
  bash "$here/sandbox.sh" --line "$line" run /bin/bash "$INSIDE_REPO/tools/inside/test.sh" "$@"
  [ -z "$full_run" ] || bash "$here/package_check.sh" --line "$line"
  echo "[tools/test.sh] MySQL $line line done, $((SECONDS / 60)) min since the start"
}
# The first line runs here. Each other line, its chroot made first (at the same time as
# the first line's), runs beside it: one line's downloads, configure steps, lintian and
# tests leave a CPU idle for long stretches, which the other's compiling fills. It has
# ports of its own (the chroots share the host's network): its LocalStack's, its package
# check's STS, and mysql-test-run's range (MTR_BUILD_THREAD; the first line's
# mysql-test-run finds free ones from 13000 up), so no result file may name a port.
# Its output is shown when the first line is done.
declare -A beside
for line in "${lines[@]:1}"; do
  (export LOCALSTACK_PORT=$SIDE_LINE_LOCALSTACK_PORT MTR_BUILD_THREAD=$SIDE_LINE_MTR_BUILD_THREAD \
          AUTH_AWSIAM_PACKAGE_CHECK_STS_PORT=$SIDE_LINE_PACKAGE_CHECK_STS_PORT
   bash "$here/sandbox.sh" --line "$line" provision
   run_line "$line" "$@") >"$work/line-$line.log" 2>&1 &
  beside[$line]=$!
done
bash "$here/sandbox.sh" --line "${lines[0]}" provision
run_line "${lines[0]}" "$@" | tee -a "$log"
for line in "${lines[@]:1}"; do
  status=0
  wait "${beside[$line]}" || status=$?
  echo "[tools/test.sh] MySQL $line, run beside the first line:"
  tee -a "$log" <"$work/line-$line.log"
  rm "$work/line-$line.log"
  [ "$status" = 0 ] || { echo "the MySQL $line line failed (exit $status)" >&2; exit 1; }
done
if [ -n "$host_checks" ]; then
  status=0
  wait "$host_checks" || status=$?
  echo "[tools/test.sh] the fuzz smoke run and the documentation (on the host, beside the lines):"
  cat "$work/host-checks.log"
  [ "$status" = 0 ] || { echo "the fuzz smoke run or the documentation failed (exit $status)" >&2; exit 1; }
fi
# Each line ended with its summary; a failure stopped the run above.
echo "[tools/test.sh] all done in $((SECONDS / 60)) min $((SECONDS % 60)) s"
echo
summaries=$(grep -E '^mtr MySQL [0-9.]+.*: [0-9]+ passed, 0 failed, 0 skipped$' "$log")
echo "$summaries"
grep -E '^mtr MySQL [0-9.]+: not run on this line: ' "$log" || true
grep -E '^packages MySQL [0-9.]+: ' "$log" || true
total=$(awk -F': ' '{ split($2, n, " "); sum += n[1] } END { print sum }' <<<"$summaries")
echo "$total passed, 0 failed"
[ -z "${AUTH_AWSIAM_QUICK:-}" ] || echo "(AUTH_AWSIAM_QUICK: a partial run for development, not the CI run)"
