#!/usr/bin/env bash
# The test sandbox: a Debian sid chroot with MySQL 9.7 (server, client, test suite and
# source tree), the build tools, Corrosion, cargo and LocalStack. Debian 12 has no MySQL,
# and sid binaries need sid's glibc, hence the chroot.
#
#   tools/sandbox.sh provision      create or refresh the chroot (idempotent, cached)
#   tools/sandbox.sh run CMD...     run CMD inside it, with this repository at /src/auth_awsiam
#   tools/sandbox.sh shell          an interactive shell inside it
#
# Must run as root. Every mount is made in a private mount namespace, so none outlives the
# command that needed it.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHROOT=${AUTH_AWSIAM_CHROOT:-/var/cache/auth_awsiam/sid}
INSIDE_REPO=/src/auth_awsiam

# What the chroot needs: MySQL 9.7 (server, client, mtr, source) and what builds a plugin in
# that source tree (the configure step fails without any of these), plus Corrosion, cargo
# and python3 for LocalStack.
PACKAGES=(
  mysql-server-core mysql-client mysql-testsuite mysql-source
  cmake make g++ bison pkg-config libssl-dev libncurses-dev libtirpc-dev
  libcurl4-openssl-dev rpcsvc-proto libudev-dev
  corrosion cargo rustc rustfmt rust-clippy
  python3 python3-venv python3-pymysql ca-certificates perl procps curl
)

log() { printf '[sandbox] %s\n' "$*" >&2; }
die() { printf '[sandbox] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (it builds and enters a chroot)"

# The Debian mirror the host already uses; no host name is written down here.
host_mirror() {
  local uri
  uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
        grep -oE 'https?://[^ ]+/debian/?' | grep -v security | head -n 1 || true)
  [ -n "$uri" ] || die "cannot find a Debian mirror in the host's apt sources"
  echo "${uri%/}"
}

stamp_ok() { [ -f "$CHROOT/.auth_awsiam/$1" ] && [ "$(cat "$CHROOT/.auth_awsiam/$1")" = "$2" ]; }
stamp_set() { mkdir -p "$CHROOT/.auth_awsiam"; echo "$2" > "$CHROOT/.auth_awsiam/$1"; }

# Runs a command in the chroot inside a private mount namespace.
run_inside() {
  [ -x "$CHROOT/bin/bash" ] || die "no chroot at $CHROOT: run '$0 provision' first"
  # The host's hosts file (mtr needs it) and CA bundle (pip and cargo need it).
  cp /etc/hosts "$CHROOT/etc/hosts"
  [ -f /etc/ssl/certs/ca-certificates.crt ] && mkdir -p "$CHROOT/etc/ssl/certs" &&
    cp /etc/ssl/certs/ca-certificates.crt "$CHROOT/etc/ssl/certs/ca-certificates.crt"
  mkdir -p "$CHROOT$INSIDE_REPO"
  unshare --mount --propagation private -- /bin/bash -c '
    set -e
    c=$1; repo=$2; inside=$3; shift 3
    mount -t proc proc "$c/proc"
    mount --rbind /dev "$c/dev"
    mount --rbind /sys "$c/sys"
    mount --bind "$repo" "$c$inside"
    exec chroot "$c" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      LANG=C.UTF-8 CI="${CI:-}" AWS_EC2_METADATA_DISABLED=true \
      SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
      CARGO_HTTP_CAINFO=/etc/ssl/certs/ca-certificates.crt \
      PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
      "$@"
  ' _ "$CHROOT" "$REPO" "$INSIDE_REPO" "$@"
}

provision() {
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap on the host"
    apt-get -o Acquire::Retries=5 update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=5 install -y -qq debootstrap >/dev/null
  fi
  local mirror; mirror=$(host_mirror)
  if [ ! -x "$CHROOT/usr/bin/apt-get" ] || ! stamp_ok base "$mirror"; then
    log "debootstrap sid from $mirror into $CHROOT (about a minute)"
    mkdir -p "$(dirname "$CHROOT")"
    # The mirror sometimes drops a download: try again from scratch, a few times.
    local attempt
    for attempt in 1 2 3; do
      rm -rf "$CHROOT.tmp"
      debootstrap --variant=minbase sid "$CHROOT.tmp" "$mirror" >/tmp/auth_awsiam-debootstrap.log 2>&1 && break
      tail -n 5 /tmp/auth_awsiam-debootstrap.log >&2
      [ "$attempt" = 3 ] && die "debootstrap failed 3 times"
      log "debootstrap failed (attempt $attempt), trying again"
      sleep 10
    done
    rm -rf "$CHROOT"; mv "$CHROOT.tmp" "$CHROOT"
    # The mirror is a frozen snapshot: its Release file is past its Valid-Until date.
    echo 'Acquire::Check-Valid-Until "false";' > "$CHROOT/etc/apt/apt.conf.d/99auth-awsiam-snapshot"
    echo 'APT::Install-Recommends "false";' >> "$CHROOT/etc/apt/apt.conf.d/99auth-awsiam-snapshot"
    echo 'Acquire::Retries "5";' >> "$CHROOT/etc/apt/apt.conf.d/99auth-awsiam-snapshot"
    stamp_set base "$mirror"
  fi
  local want="${PACKAGES[*]}"
  if ! stamp_ok packages "$want"; then
    log "installing packages in the chroot (a few minutes cold)"
    run_inside /bin/bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/tmp/apt.log 2>&1 || { tail -n 30 /tmp/apt.log; exit 1; }' _ "${PACKAGES[@]}"
    stamp_set packages "$want"
  fi
  local tarball=/usr/src/mysql/mysql-source.tar.gz
  local src_id; src_id=$(stat -c '%s %Y' "$CHROOT$tarball")
  if ! stamp_ok source "$src_id"; then
    log "unpacking the MySQL source tree (about a minute)"
    run_inside /bin/bash -c 'set -e; cd /usr/src/mysql; rm -rf src.tmp; mkdir src.tmp; tar -xzf mysql-source.tar.gz -C src.tmp; rm -rf tree; mv src.tmp/* tree; rmdir src.tmp'
    stamp_set source "$src_id"
  fi
  local ls_id; ls_id=$(sha256sum "$REPO/tools/localstack/constraints.txt" | cut -c1-16)
  if ! stamp_ok localstack "$ls_id"; then
    log "installing LocalStack into a venv in the chroot (a few minutes cold)"
    run_inside /bin/bash -c 'set -e; rm -rf /opt/localstack; python3 -m venv /opt/localstack;
      /opt/localstack/bin/pip install -q --upgrade pip >/dev/null;
      /opt/localstack/bin/pip install -q -c '"$INSIDE_REPO"'/tools/localstack/constraints.txt "localstack-core[base-runtime]" moto-ext service-identity awscli awscli-local boto3'
    stamp_set localstack "$ls_id"
  fi
  # Python's mysqlclient built against libmysqlclient (Debian's python3-mysqldb uses
  # MariaDB Connector/C), for the test of auth_awsiam_client in a program of one's own.
  # Its own stamp: adding it changes nothing of the steps above.
  if ! stamp_ok mysqlclient "libmysqlclient-dev mysqlclient<3"; then
    log "installing Python's mysqlclient against libmysqlclient into /opt/mysqlclient"
    run_inside /bin/bash -c 'set -e; apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmysqlclient-dev python3-dev gcc >/tmp/apt.log 2>&1 || { tail -n 30 /tmp/apt.log; exit 1; };
      rm -rf /opt/mysqlclient; python3 -m venv /opt/mysqlclient;
      /opt/mysqlclient/bin/pip install -q --no-binary mysqlclient "mysqlclient<3"'
    stamp_set mysqlclient "libmysqlclient-dev mysqlclient<3"
  fi
  log "chroot ready at $CHROOT"
}

case "${1:-}" in
  provision) provision ;;
  run) shift; run_inside "$@" ;;
  shell) run_inside /bin/bash -l ;;
  *) die "usage: $0 provision | run CMD... | shell" ;;
esac
