#!/usr/bin/env bash
# Benchmark, as root: connection rate with auth_awsiam (token reused, and every
# login checked by STS) against caching_sha2_password on the same server, in
# the sandbox. Prints a table with ratios to that baseline. Options go to
# tools/bench/connect_rate.py (--connections, --threads, --sts-connections).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bash "$here/sandbox.sh" provision
bash "$here/sandbox.sh" run /bin/bash /src/auth_awsiam/tools/inside/bench.sh "$@"
