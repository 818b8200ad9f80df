#!/usr/bin/env bash
# Benchmark, as root: login rate and server cost of auth_awsiam (cached token, every login
# verified by STS at 0, 20 and 50 ms, soaks of 100,000 logins for CPU and memory) against
# caching_sha2_password measured in the same run, in the sandbox. A native load generator
# (tools/loadgen) drives one mysqld; STS is tools/sts_double. Prints tables with ratios,
# then `bench: NAME=VALUE` lines. Takes several minutes.
#
#   tools/bench.sh            the full run
#   tools/bench.sh --smoke    every scenario with small counts (seconds; CI runs it)
#
# Other options go to `auth_awsiam_loadgen suite` (--seconds, --rounds, --soak).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=pins.sh
source "$here/pins.sh"
bash "$here/sandbox.sh" provision
bash "$here/sandbox.sh" run /bin/bash "$INSIDE_REPO/tools/inside/bench.sh" "$@"
