#!/usr/bin/env bash
# The test sandboxes: one chroot per server line, each with that line's MySQL (server,
# client, test suite and source tree), the build tools, Corrosion, cargo and LocalStack.
# Debian 12 has neither MySQL 9.7 nor 8.4, and their binaries need newer glibc, hence
# the chroots.
#
#   line 9.7 (default)  Debian sid, MySQL 9.7.4      /var/cache/auth_awsiam/sid
#                       ($AUTH_AWSIAM_CHROOT)
#   line 8.4            Ubuntu 26.04 "resolute",     /var/cache/auth_awsiam/resolute
#                       MySQL 8.4.13 LTS             ($AUTH_AWSIAM_CHROOT_84)
#
#   tools/sandbox.sh [--line 8.4] provision   create or refresh the chroot (idempotent, cached)
#   tools/sandbox.sh [--line 8.4] run CMD...  run CMD inside it, with this repository at /src/auth_awsiam
#   tools/sandbox.sh [--line 8.4] shell       an interactive shell inside it
#   tools/sandbox.sh [--line 8.4] bare        make a bare chroot of that line afresh: the
#                                             system as debootstrap left it, no package or
#                                             build of ours (CHROOT-bare; for installing
#                                             the Debian packages: tools/package_check.sh)
#   tools/sandbox.sh [--line 8.4] bare-run CMD...  run CMD inside the bare chroot
#   tools/sandbox.sh [--line 8.4] path        print the chroot's path
#
# Must run as root. Every mount is made in a private mount namespace, so none outlives the
# command that needed it. Two sandboxes (AUTH_AWSIAM_CHROOT) can run side by side when each
# has its own LOCALSTACK_PORT and MTR_BUILD_THREAD (mysql-test-run's port range).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=pins.sh
source "$REPO/tools/pins.sh"
LINE=9.7
if [ "${1:-}" = --line ]; then LINE=${2:-}; shift 2 || true; fi

case "$LINE" in
9.7)
  CHROOT=${AUTH_AWSIAM_CHROOT:-$CACHE_DIR/sid}
  # What the chroot needs: MySQL 9.7 (server, client, mtr, source) and what builds a plugin
  # in that source tree (the configure step fails without any of these), plus Corrosion,
  # cargo and python3 for LocalStack.
  PACKAGES=(
    mysql-server-core mysql-client mysql-testsuite mysql-source
    cmake make g++ bison pkg-config libssl-dev libncurses-dev libtirpc-dev
    libcurl4-openssl-dev rpcsvc-proto libudev-dev
    corrosion cargo rustc rustfmt rust-clippy
    python3 python3-venv python3-pymysql ca-certificates perl procps curl
  )
  ;;
8.4)
  CHROOT=${AUTH_AWSIAM_CHROOT_84:-$CACHE_DIR/resolute}
  # The same for MySQL 8.4.13 (resolute-updates). Resolute's default cargo is 1.93, older
  # than the crates' rust-version (1.94.1, what the AWS SDK crates declare): its versioned
  # toolchain cargo-1.97 (in /usr/lib/rust-1.97/bin) builds the core; the default one stays
  # to show that it is refused with a clear message. mysql-testsuite pulls in the full
  # mysql-server, whose service must not start in the chroot (policy-rc.d below).
  PACKAGES=(
    mysql-server-core mysql-client-core mysql-testsuite mysql-source
    cmake make g++ bison pkg-config libssl-dev libncurses-dev libtirpc-dev
    libcurl4-openssl-dev rpcsvc-proto libudev-dev
    corrosion cargo cargo-1.97 rustc-1.97
    python3 python3-venv ca-certificates perl procps curl
  )
  ;;
*) printf '[sandbox] error: unknown server line %s (9.7 or 8.4)\n' "$LINE" >&2; exit 2 ;;
esac

# The chroot as debootstrap left it (with the apt settings below), kept when it is made:
# the bare chroots start from it.
BASE_TAR=$CHROOT.base.tar
BARE=$CHROOT-bare

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
  unshare --mount --propagation private -- /bin/bash "$REPO/tools/sandbox_enter.sh" "$CHROOT" "$REPO" "$@"
}

# One step of tools/inside/provision.sh, in the chroot.
provision_step() { run_inside /bin/bash "$INSIDE_REPO/tools/inside/provision.sh" "$@"; }

# debootstrap SUITE $CHROOT.tmp MIRROR..., retried from scratch: the mirror sometimes
# drops a download.
bootstrap() {
  local attempt
  mkdir -p "$(dirname "$CHROOT")"
  for attempt in 1 2 3; do
    rm -rf "$CHROOT.tmp"
    debootstrap --variant=minbase "$@" >/tmp/auth_awsiam-debootstrap.log 2>&1 && break
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
  # No service may start in the chroot (a package's maintainer script would start one).
  printf '#!/bin/sh\nexit 101\n' > "$CHROOT/usr/sbin/policy-rc.d"
  chmod 0755 "$CHROOT/usr/sbin/policy-rc.d"
}

# Keeps the chroot debootstrap just made (bootstrap_*), for the bare chroots.
save_base() { tar -C "$CHROOT" -cf "$BASE_TAR.tmp" . && mv "$BASE_TAR.tmp" "$BASE_TAR"; }

bootstrap_sid() {
  local mirror=$1
  if [ ! -x "$CHROOT/usr/bin/apt-get" ] || ! stamp_ok base "$mirror"; then
    log "debootstrap sid from $mirror into $CHROOT (about a minute)"
    bootstrap sid "$CHROOT.tmp" "$mirror"
    stamp_set base "$mirror"
    save_base
  fi
}

# The Ubuntu archive key, from Debian's ubuntu-keyring package. Bookworm lacks that
# package but trixie has it: apt downloads it from the same mirror with a throwaway list
# of trixie (whose release key bookworm's debian-archive-keyring holds), so it is checked
# like any package, and the host's own apt state is left alone.
fetch_ubuntu_keyring() {
  local mirror=$1 out=$2 d
  d=$(mktemp -d)
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/x"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" > "$d/sources.list"
  local o=(-qq -o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/nonexistent
           -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache" -o APT::Sandbox::User=root
           -o Acquire::Retries=5 -o Acquire::Languages=none)
  if ! { apt-get "${o[@]}" update && (cd "$d" && apt-get "${o[@]}" download ubuntu-keyring); }; then
    die "cannot download ubuntu-keyring from $mirror (trixie)"
  fi
  dpkg-deb -x "$d"/ubuntu-keyring_*.deb "$d/x"
  mkdir -p "$(dirname "$out")"
  cp "$d/x/usr/share/keyrings/ubuntu-archive-keyring.gpg" "$out"
  rm -rf "$d"
}

# Ubuntu 26.04 from the Ubuntu archive the same mirror serves under /ubuntu; bookworm's
# debootstrap knows Ubuntu through its "gutsy" script.
bootstrap_resolute() {
  local mirror=${1%/debian}/ubuntu
  local keyring; keyring=$(dirname "$CHROOT")/ubuntu-archive-keyring.gpg
  if [ ! -x "$CHROOT/usr/bin/apt-get" ] || ! stamp_ok base "$mirror resolute"; then
    [ -s "$keyring" ] || fetch_ubuntu_keyring "$1" "$keyring"
    log "debootstrap resolute from $mirror into $CHROOT (about a minute)"
    bootstrap --keyring="$keyring" --components=main,universe \
      resolute "$CHROOT.tmp" "$mirror" /usr/share/debootstrap/scripts/gutsy
    # MySQL 8.4.13 is in -updates and -security (the release pocket has 8.4.8).
    local pocket
    for pocket in resolute resolute-updates resolute-security; do
      echo "deb $mirror $pocket main universe"
    done > "$CHROOT/etc/apt/sources.list"
    stamp_set base "$mirror resolute"
    save_base
  fi
}

provision() {
  # Both lines' chroots may be made at once (tools/test.sh): one installs debootstrap on
  # the host, the other waits for it rather than for apt's lock.
  mkdir -p "$CACHE_DIR"
  (
    flock 9
    if ! command -v debootstrap >/dev/null; then
      log "installing debootstrap on the host"
      apt-get -o Acquire::Retries=5 update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=5 install -y -qq debootstrap >/dev/null
    fi
  ) 9>"$CACHE_DIR/host-tools.lock"
  local mirror; mirror=$(host_mirror)
  case "$LINE" in
    9.7) bootstrap_sid "$mirror" ;;
    8.4) bootstrap_resolute "$mirror" ;;
  esac
  local want="${PACKAGES[*]}"
  if ! stamp_ok packages "$want"; then
    log "installing packages in the chroot (a few minutes cold)"
    provision_step packages "${PACKAGES[@]}"
    stamp_set packages "$want"
  fi
  local src_id; src_id=$(stat -c '%s %Y' "$CHROOT$MYSQL_SOURCE_TARBALL")
  if ! stamp_ok source "$src_id"; then
    log "unpacking the MySQL source tree (about a minute)"
    provision_step source
    stamp_set source "$src_id"
  fi
  local ls_id; ls_id=$(sha256sum "$REPO/tools/localstack/constraints.txt" | cut -c1-16)
  if ! stamp_ok localstack "$ls_id"; then
    log "installing LocalStack into a venv in the chroot (a few minutes cold)"
    provision_step localstack
    stamp_set localstack "$ls_id"
  fi
  # Python's mysqlclient built against libmysqlclient (Debian's python3-mysqldb uses
  # MariaDB Connector/C), for the test of auth_awsiam_client in a program of one's own.
  # Its own stamp: adding it changes nothing of the steps above.
  local mysqlclient="libmysqlclient-dev python3-venv $MYSQLCLIENT_PIN"
  if ! stamp_ok mysqlclient "$mysqlclient"; then
    log "installing Python's mysqlclient against libmysqlclient into $MYSQLCLIENT_VENV"
    provision_step mysqlclient
    stamp_set mysqlclient "$mysqlclient"
  fi
  # The connectors of the MTR test 'connectors', which are also the examples of
  # docs/connectors.rst: Node.js with mysql2, Go with go-sql-driver/mysql, Python's
  # mysql-connector-python, and PyMySQL. Its own stamp, like mysqlclient's.
  local connectors="golang-go golang-github-go-sql-driver-mysql-dev golang-github-aws-aws-sdk-go-v2-dev nodejs npm python3-pymysql $MYSQL2_PIN $MYSQL_CONNECTOR_PYTHON_PIN $PYTHON_PACKAGE_PINS $NODE_PACKAGE_DEPS"
  if ! stamp_ok connectors "$connectors"; then
    log "installing the connectors (Node mysql2, Go go-sql-driver/mysql, mysql-connector-python) into $CONNECTORS_DIR"
    provision_step connectors
    stamp_set connectors "$connectors"
  fi
  # The drivers the MTR test 'proxy' runs through auth_awsiam_proxy that tools/pins.sh's
  # connectors do not cover: MariaDB Connector/J on the JDK, PHP's mysqli (mysqlnd) and
  # Ruby's mysql2, all the distribution's packages. Its own stamp.
  if ! stamp_ok proxy-drivers "$PROXY_DRIVER_PACKAGES"; then
    log "installing the proxy test's drivers ($PROXY_DRIVER_PACKAGES)"
    provision_step proxy_drivers
    stamp_set proxy-drivers "$PROXY_DRIVER_PACKAGES"
  fi
  # MySQL Router for the MTR test 'cluster_router'. Its own stamp.
  if ! stamp_ok router "$ROUTER_PACKAGES"; then
    log "installing MySQL Router ($ROUTER_PACKAGES)"
    # shellcheck disable=SC2086 # a list of packages
    provision_step packages $ROUTER_PACKAGES
    stamp_set router "$ROUTER_PACKAGES"
  fi
  # What builds and checks the Debian packages. Its own stamp.
  if ! stamp_ok deb-tools "$DEB_TOOL_PACKAGES"; then
    log "installing the Debian packaging tools ($DEB_TOOL_PACKAGES)"
    # shellcheck disable=SC2086 # a list of packages
    provision_step packages $DEB_TOOL_PACKAGES
    stamp_set deb-tools "$DEB_TOOL_PACKAGES"
  fi
  # 9.7: older CMake releases (Python wheels from PyPI, through LocalStack's pip) for the
  # test of which Corrosion each CMake may load (tools/cmake_checks/corrosion_choice).
  if [ "$LINE" = 9.7 ] && ! stamp_ok old-cmake "$OLD_CMAKE_VERSIONS"; then
    log "installing CMake $OLD_CMAKE_VERSIONS for the Corrosion test"
    # shellcheck disable=SC2086 # one argument per version
    provision_step old_cmake $OLD_CMAKE_VERSIONS
    stamp_set old-cmake "$OLD_CMAKE_VERSIONS"
  fi
  log "chroot ready at $CHROOT"
}

# A bare chroot of this line, made afresh: from the kept base (debootstrapped first if
# there is none, as on a machine whose chroot predates it).
bare() {
  local mirror; mirror=$(host_mirror)
  rm -rf "$BARE"
  if [ -f "$BASE_TAR" ]; then
    mkdir -p "$BARE"
    tar -C "$BARE" -xf "$BASE_TAR"
  else
    CHROOT=$BARE
    case "$LINE" in
      9.7) bootstrap_sid "$mirror" ;;
      8.4) bootstrap_resolute "$mirror" ;;
    esac
  fi
  log "bare chroot ready at $BARE"
}

case "${1:-}" in
  provision) provision ;;
  bare) bare ;;
  path) echo "$CHROOT" ;;
  bare-run) shift; CHROOT=$BARE run_inside "$@" ;;
  run) shift; run_inside "$@" ;;
  shell) run_inside /bin/bash -l ;;
  *) die "usage: $0 provision | run CMD... | shell | bare | bare-run CMD... | path" ;;
esac
