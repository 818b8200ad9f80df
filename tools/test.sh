#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian 12 machine, as root: builds
# the sandbox (a Debian sid chroot with MySQL 9.7 and LocalStack) if needed,
# then cargo fmt/clippy/test and the auth_awsiam MTR suite inside it.
# Extra arguments go to mysql-test-run (e.g. a test name, or --record).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bash "$here/sandbox.sh" provision
bash "$here/sandbox.sh" run /bin/bash /src/auth_awsiam/tools/inside/test.sh "$@"
