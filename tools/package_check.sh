#!/usr/bin/env bash
# The Debian packages of one server line, installed as a DBA installs them: into a bare
# chroot of that line (tools/sandbox.sh bare: the system as debootstrap left it, which
# never saw the build), with apt-get, which brings in the exact server they depend on;
# then the plugin installed from SQL, and a login with a token and one by the challenge
# (tools/inside/package_login.sh). The packages are the ones tools/inside/packages.sh
# left in the line's chroot. STS is LocalStack, run from the line's chroot (the chroots
# share the host's network).
#
#   tools/package_check.sh [--line 8.4]
#
# Must run as root, like tools/sandbox.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=pins.sh
source "$here/pins.sh"
line_args=()
[ "${1:-}" != --line ] || line_args=(--line "${2:?--line 9.7 or 8.4}")
sandbox() { bash "$here/sandbox.sh" "${line_args[@]}" "$@"; }

chroot_dir=$(sandbox path)
bare=$chroot_dir-bare
ls "$chroot_dir$DEB_OUT_DIR"/*.deb >/dev/null ||
  { echo "no packages in $chroot_dir$DEB_OUT_DIR: run tools/inside/packages.sh in the sandbox first" >&2; exit 1; }

sandbox bare
mkdir -p "$bare$DEB_OUT_DIR"
cp "$chroot_dir$DEB_OUT_DIR"/*.deb "$bare$DEB_OUT_DIR/"
# The line chroot's package lists and downloaded packages: apt-get then downloads only
# what that chroot never needed. Hard links: nothing is copied.
cp -a "$chroot_dir/var/lib/apt/lists/." "$bare/var/lib/apt/lists/"
cp -ln "$chroot_dir"/var/cache/apt/archives/*.deb "$bare/var/cache/apt/archives/"

ls_dir=/tmp/auth_awsiam-package-localstack
# Another port where this line runs beside another (tools/test.sh).
sts_port=${AUTH_AWSIAM_PACKAGE_CHECK_STS_PORT:-$PACKAGE_CHECK_STS_PORT}
stop_localstack() { sandbox run /bin/bash "$INSIDE_REPO/tools/localstack/stop.sh" "$ls_dir" || true; }
trap stop_localstack EXIT
LOCALSTACK_PORT=$sts_port sandbox run /bin/bash "$INSIDE_REPO/tools/localstack/start.sh" "$ls_dir"
LOCALSTACK_PORT=$sts_port sandbox bare-run /bin/bash "$INSIDE_REPO/tools/inside/package_login.sh"
