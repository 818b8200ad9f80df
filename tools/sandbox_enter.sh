#!/usr/bin/env bash
# The second half of `tools/sandbox.sh run`, which starts it in a private mount namespace
# (unshare --mount --propagation private), so every mount made here vanishes with it:
# mounts what the chroot needs and this repository, then runs the command in the chroot
# with a clean environment holding only what the scripts inside read.
#
#   sandbox_enter.sh CHROOT REPO CMD...
set -euo pipefail
# shellcheck source=pins.sh
source "$(dirname "${BASH_SOURCE[0]}")/pins.sh"
chroot_dir=$1 repo=$2
shift 2
mount -t proc proc "$chroot_dir/proc"
mount --rbind /dev "$chroot_dir/dev"
mount --rbind /sys "$chroot_dir/sys"
mount --bind "$repo" "$chroot_dir$INSIDE_REPO"
optional=()
[ -z "${MTR_BUILD_THREAD:-}" ] || optional+=("MTR_BUILD_THREAD=$MTR_BUILD_THREAD")
# AUTH_AWSIAM_CHECKOUT: which checkout is mounted, so that each one builds in build
# directories of its own (tools/inside/common.sh).
exec chroot "$chroot_dir" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 CI="${CI:-}" AWS_EC2_METADATA_DISABLED=true \
  AUTH_AWSIAM_QUICK="${AUTH_AWSIAM_QUICK:-}" AUTH_AWSIAM_CHECKOUT="$repo" \
  LOCALSTACK_PORT="${LOCALSTACK_PORT:-$LOCALSTACK_PORT_DEFAULT}" "${optional[@]}" \
  SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  CARGO_HTTP_CAINFO=/etc/ssl/certs/ca-certificates.crt \
  PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
  "$@"
