#!/usr/bin/env bash
# The provisioning steps of tools/sandbox.sh that run inside the chroot, one per command:
#
#   provision.sh packages PACKAGE...   apt-get install these
#   provision.sh source                unpack mysql-source's tarball to the tree
#   provision.sh localstack            LocalStack in a venv (pinned by tools/localstack/constraints.txt)
#   provision.sh mysqlclient           Python's mysqlclient against libmysqlclient, in a venv
#   provision.sh connectors            the connectors of the MTR test 'connectors'
#   provision.sh proxy_drivers         the drivers of the MTR test 'proxy' (pins.sh)
#   provision.sh old_cmake VERSION...  older CMake releases, for the Corrosion choice test
#
# tools/sandbox.sh decides which steps are due (its stamps); this only does them. Nothing
# here may change what a step installs without its stamp changing too.
set -euo pipefail
# shellcheck source=../pins.sh
source "$(dirname "$0")/../pins.sh"

# apt-get install, quiet unless it fails.
apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/tmp/apt.log 2>&1 ||
    { tail -n 30 /tmp/apt.log; exit 1; }
}

packages() {
  apt-get update -qq
  apt_install "$@"
}

source_tree() {
  cd "$MYSQL_SRC_DIR"
  rm -rf src.tmp; mkdir src.tmp
  tar -xzf "$MYSQL_SOURCE_TARBALL" -C src.tmp
  rm -rf "$MYSQL_TREE"; mv src.tmp/* "$MYSQL_TREE"; rmdir src.tmp
}

localstack() {
  rm -rf "$LOCALSTACK_VENV_DIR"
  python3 -m venv "$LOCALSTACK_VENV_DIR"
  "$LOCALSTACK_VENV_DIR/bin/pip" install -q --upgrade pip >/dev/null
  "$LOCALSTACK_VENV_DIR/bin/pip" install -q -c "$INSIDE_REPO/tools/localstack/constraints.txt" \
    "localstack-core[base-runtime]" moto-ext service-identity awscli awscli-local boto3
}

mysqlclient() {
  apt-get update -qq
  apt_install libmysqlclient-dev python3-dev python3-venv gcc pkg-config
  rm -rf "$MYSQLCLIENT_VENV"
  python3 -m venv "$MYSQLCLIENT_VENV"
  "$MYSQLCLIENT_VENV/bin/pip" install -q --no-binary mysqlclient "$MYSQLCLIENT_PIN"
}

# Node.js mysql2 (npm registry, into node_modules), Go go-sql-driver/mysql and the AWS
# SDK for Go v2 (the distribution's source packages, built offline in GOPATH mode; the
# build cache warmed here), mysql-connector-python (PyPI, a venv), PyMySQL (python3-pymysql), and the
# dependencies of this repository's Python and Node.js packages (PyPI, a venv; npm).
connectors() {
  apt-get update -qq
  apt_install golang-go golang-github-go-sql-driver-mysql-dev golang-github-aws-aws-sdk-go-v2-dev \
    nodejs npm python3-venv python3-pymysql
  rm -rf "$CONNECTORS_DIR"; mkdir -p "$CONNECTORS_DIR"
  # shellcheck disable=SC2086 # a list of pins
  npm install --prefix "$CONNECTORS_DIR" --no-audit --no-fund --loglevel=error "$MYSQL2_PIN" $NODE_PACKAGE_DEPS >/dev/null
  python3 -m venv "$CONNECTORS_DIR/python"
  "$CONNECTORS_DIR/python/bin/pip" install -q "$MYSQL_CONNECTOR_PYTHON_PIN"
  python3 -m venv "$PYTHON_PACKAGE_VENV"
  # shellcheck disable=SC2086 # a list of pins
  "$PYTHON_PACKAGE_VENV/bin/pip" install -q $PYTHON_PACKAGE_PINS
  GOCACHE="$CONNECTORS_DIR/go-cache" GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS='' GOTOOLCHAIN=local \
    go build github.com/go-sql-driver/mysql github.com/aws/aws-sdk-go-v2/config github.com/aws/aws-sdk-go-v2/aws/signer/v4
}

# The drivers of pins.sh's PROXY_DRIVER_PACKAGES, none allowed to remove a package.
# Debian builds Ruby's mysql2 against MariaDB's client library, whose common files
# Debian's mysql-server conflicts with (and mysql-testsuite needs mysql-server): there it
# is unpacked, with that library, into PROXY_RUBY_DIR, whose script `ruby` runs ruby with
# them (Ubuntu builds it against libmysqlclient, and installs it: the script is ruby).
proxy_drivers() {
  local ruby_mysql2=${PROXY_DRIVER_PACKAGES##* } others=${PROXY_DRIVER_PACKAGES% *}
  apt-get update -qq
  # shellcheck disable=SC2086 # a list of packages
  apt_install --no-remove $others
  rm -rf "$PROXY_RUBY_DIR"; mkdir -p "$PROXY_RUBY_DIR"
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-remove "$ruby_mysql2" >/tmp/apt.log 2>&1; then
    printf '#!/bin/sh\nexec ruby "$@"\n' >"$PROXY_RUBY_DIR/ruby"
    chmod 0755 "$PROXY_RUBY_DIR/ruby"
    return 0
  fi
  local deps
  deps=$(apt-cache depends "$ruby_mysql2" | sed -n 's/^ *Depends: \([a-z0-9.+-]*\)$/\1/p' | grep -v '^libmariadb')
  # shellcheck disable=SC2086 # a list of packages
  apt_install --no-remove $deps
  (cd "$PROXY_RUBY_DIR" && apt-get download -qq -o APT::Sandbox::User=root "$ruby_mysql2" libmariadb3 &&
   for deb in ./*.deb; do dpkg -x "$deb" root; done && rm ./*.deb)
  local rb so lib
  rb=$(find "$PROXY_RUBY_DIR/root" -name mysql2.rb -printf '%h' -quit)
  so=$(find "$PROXY_RUBY_DIR/root" -name mysql2.so -printf '%h' -quit)
  lib=$(find "$PROXY_RUBY_DIR/root" -name libmariadb.so.3 -printf '%h' -quit)
  # mysql2.rb requires mysql2/mysql2 (the .so); the .so needs libmariadb.so.3.
  printf '#!/bin/sh\nexec env RUBYLIB=%s:%s LD_LIBRARY_PATH=%s ruby "$@"\n' \
    "$rb" "${so%/mysql2}" "$lib" >"$PROXY_RUBY_DIR/ruby"
  chmod 0755 "$PROXY_RUBY_DIR/ruby"
  "$PROXY_RUBY_DIR/ruby" -e 'require "mysql2"'
}

# Through LocalStack's pip: the chroot has no other.
old_cmake() {
  local v d
  for v in "$@"; do
    d=$(old_cmake_dir "$v")
    rm -rf "$d"
    "$LOCALSTACK_VENV_DIR/bin/pip" install -q --target "$d" "cmake==$v"
    "$d/cmake/data/bin/cmake" --version
  done
}

step=${1:-}
shift || true
case "$step" in
  packages) packages "$@" ;;
  source) source_tree ;;
  localstack) localstack ;;
  mysqlclient) mysqlclient ;;
  connectors) connectors ;;
  proxy_drivers) proxy_drivers ;;
  old_cmake) old_cmake "$@" ;;
  *) echo "usage: $0 packages|source|localstack|mysqlclient|connectors|proxy_drivers|old_cmake [ARGS...]" >&2; exit 2 ;;
esac
