#!/usr/bin/env bash
# The main job, end to end, on a fresh Debian 12 machine, as root: builds the
# sandbox, builds auth_awsiam in the MySQL 9.7 source tree, starts LocalStack
# and a MySQL server with the plugin, creates a MySQL account for the IAM role
# AppRole, mints a token with auth_awsiam_token and logs in with the mysql
# client. The server stays up.
#
#   tools/demo.sh            set up and start, then log in once
#   tools/demo.sh connect    mint a fresh token and open a mysql session
#   tools/demo.sh stop       stop the server and LocalStack
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=pins.sh
source "$here/pins.sh"
cmd=${1:-start}
case "$cmd" in
  start) bash "$here/sandbox.sh" provision ;;
  connect|stop) ;;
  *) echo "usage: $0 [start|connect|stop]" >&2; exit 2 ;;
esac
bash "$here/sandbox.sh" run /bin/bash "$INSIDE_REPO/tools/inside/demo.sh" "$cmd"
