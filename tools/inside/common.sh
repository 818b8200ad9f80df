# shellcheck shell=bash disable=SC2034 # its variables are for the scripts that source it
# Shared by the scripts that run inside the sandbox chroot (tools/sandbox.sh).
set -euo pipefail
# shellcheck source=../pins.sh
source "$(dirname "${BASH_SOURCE[0]}")/../pins.sh"
SRC=$INSIDE_REPO                        # this repository, bind-mounted
TREE=$MYSQL_TREE                        # the unpacked MySQL source tree (9.7 or 8.4)
LOCALSTACK_PORT=${LOCALSTACK_PORT:-$LOCALSTACK_PORT_DEFAULT}
STS_ENDPOINT=http://127.0.0.1:$LOCALSTACK_PORT
export CARGO_HOME=/root/.cargo AWS_EC2_METADATA_DISABLED=true

# Every checkout mounted at $SRC (worktrees, clones) builds in directories of its own,
# named after its path on the host: make and cargo choose what to rebuild by mtime, and
# every checkout has the same path in here, so a shared build directory would let one
# checkout link another's objects. checkout_dirs (build_plugin calls it) makes them.
CHECKOUT=${AUTH_AWSIAM_CHECKOUT:-$SRC}
WORK=$CHECKOUTS_DIR/$(printf '%s' "$CHECKOUT" | sha256sum | cut -c1-12)
BUILD=$WORK/build                       # the tree's build directory
DRIVER=$WORK/driver                     # build dir of the repository's CMakeLists.txt
# cargo's own builds (test, clippy, sts_double, the load generator); the plugin's
# Rust core builds under $BUILD/cargo, where Corrosion puts it.
CARGO_TARGET=$WORK/cargo-target
# The Debian package's tree and build directory (tools/inside/packages.sh).
DEB_BUILD=$WORK/$DEB_BUILD_NAME
# How many checkouts keep their build directories, the most recently used ones (the
# disk is small: see checkout_dirs).
KEEP_CHECKOUTS=2

# The server line of this chroot (tools/sandbox.sh --line), e.g. 9.7.4 or 8.4.13.
MYSQL_VERSION=$(sed -n 's/^MYSQL_VERSION_\(MAJOR\|MINOR\|PATCH\)=//p' "$TREE/MYSQL_VERSION" | paste -sd.)
LINE=${MYSQL_VERSION%.*}                # 9.7 or 8.4
# How build_plugin builds: SYMLINK, with the repository's CMake driver, the plugin and
# suite linked from this checkout (the demo, the benchmark, a quick run on 9.7); or
# PACKAGE, as a packager builds it: the Debian packages, whose build puts the plugin
# directory of the vendored source archive (tools/vendor.sh) into a tree of its own and
# builds it with the archive's Cargo.lock and crates, offline (every whole test run,
# tools/inside/test.sh, and everything on 8.4).
PLACEMENT=SYMLINK
if [ "$LINE" = 8.4 ]; then
  # Ubuntu's default cargo (1.93) is older than the crates' rust-version; its
  # versioned toolchain package (cargo-1.97) is not.
  export PATH=$RUST_84_BIN:$PATH
  PLACEMENT=PACKAGE
fi

# What must be undone however the script ends (an error, a failed check's exit):
# `on_exit CMD` adds a command, run at exit, the last added first; `on_exit_done CMD`
# takes back the last one added, which must be CMD, once it was done in order.
EXIT_CLEANUPS=()
on_exit() { EXIT_CLEANUPS+=("$1"); }
on_exit_done() {
  [ "${EXIT_CLEANUPS[-1]:-}" = "$1" ] || { echo "on_exit_done $1: the last cleanup is '${EXIT_CLEANUPS[-1]:-}'" >&2; exit 1; }
  unset 'EXIT_CLEANUPS[-1]'
}
run_exit_cleanups() {
  local i
  for ((i = ${#EXIT_CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${EXIT_CLEANUPS[i]}" || true; done
}
trap run_exit_cleanups EXIT

# Each step with the minutes and seconds since the run began, so that a CI log
# shows where a cold run spends its time.
say() { printf '\n==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

# Puts the plugin and the suite into the tree, configures it with
# -DWITH_AUTH_AWSIAM=ON, builds the plugin target only, and installs the .so
# where Debian's mysqld looks for plugins.
build_plugin() {
  checkout_dirs
  if [ "$PLACEMENT" = PACKAGE ]; then
    build_plugin_package
    return
  fi
  say "Building auth_awsiam in the MySQL $MYSQL_VERSION source tree ($TREE, plugin placed by $PLACEMENT; build directory $BUILD)"
  cmake -S "$SRC" -B "$DRIVER" -DMYSQL_SOURCE_DIR="$TREE" -DMYSQL_BUILD_DIR="$BUILD" -DAUTH_AWSIAM_PLACEMENT="$PLACEMENT" \
        -DMTR_COMMAND="perl $MTR_HOME/mysql-test-run.pl --client-bindir=$MTR_HOME/bin" >/dev/null
  cmake --build "$DRIVER" --target plugin
  # The options the driver configured the tree with, for other configurations.
  MYSQL_CMAKE_ARGS=$(sed -n 's/^MYSQL_CMAKE_ARGS:STRING=//p' "$DRIVER/CMakeCache.txt" | tr ';' ' ')
  install -m 0644 "$BUILD/plugin_output_directory/auth_awsiam.so" "$PLUGIN_DIR/auth_awsiam.so"
  # The client library's default plugin directory is the same one.
  install -m 0644 "$BUILD/plugin_output_directory/auth_awsiam_client.so" "$PLUGIN_DIR/auth_awsiam_client.so"
  install -m 0755 "$BUILD/runtime_output_directory/auth_awsiam_token" /usr/local/bin/auth_awsiam_token
  install -m 0755 "$BUILD/runtime_output_directory/auth_awsiam_proxy" /usr/local/bin/auth_awsiam_proxy
  ln -sfn "$SRC/mysql-test/suite/auth_awsiam" "$MTR_HOME/suite/auth_awsiam"
}

# The line's build is the Debian packages' (tools/inside/packages.sh): TREE and BUILD
# become the package build's, and the packages are installed here with dpkg, so the suite
# runs on the packaged plugin and programs.
build_plugin_package() {
  bash "$SRC/tools/inside/packages.sh"
  TREE=$DEB_BUILD/tree
  BUILD=$DEB_BUILD/server
  MYSQL_CMAKE_ARGS=$(grep '^-D' "$SRC/plugin/auth_awsiam/cmake/lean_tree_options.txt" | tr '\n' ' ')
  say "Installing the packages here (dpkg -i): the suite runs on what they install"
  dpkg -i "$DEB_OUT_DIR"/*.deb >/dev/null
  ln -sfn /usr/bin/auth_awsiam_token /usr/local/bin/auth_awsiam_token
  ln -sfn /usr/bin/auth_awsiam_proxy /usr/local/bin/auth_awsiam_proxy
  ln -sfn "$SRC/mysql-test/suite/auth_awsiam" "$MTR_HOME/suite/auth_awsiam"
}

# offline CMD...: CMD as in a build farm with no network: in a network namespace of its
# own (only loopback, no route anywhere), with a cargo home that never fetched a crate.
offline() {
  rm -rf "$WORK/offline-cargo-home"; mkdir -p "$WORK/offline-cargo-home"
  CARGO_HOME=$WORK/offline-cargo-home unshare --net -- "$@"
}

# Makes this checkout's directories ($WORK) and marks them used. A new set is seeded
# with the cargo target directories of the checkout used last, which hold the compiled
# dependencies (minutes of work on this machine): the seed's own crates are dropped
# from them, so cargo builds this checkout's again (a unit without its fingerprint is
# never fresh). Only the KEEP_CHECKOUTS most recently used sets stay, and the old ones
# go before a new one is seeded: a set is about 15 GB on 9.7, a CI machine's disk may
# hold little more than two, and a copy that fills the disk fails the whole run.
checkout_dirs() {
  if [ ! -d "$WORK" ]; then
    local seed
    prune_checkouts $((KEEP_CHECKOUTS - 1))
    seed=$(checkouts_by_use | head -n 1)
    rm -rf "$WORK.tmp"; mkdir -p "$WORK.tmp/build"
    if [ -n "$seed" ]; then
      say "New build directories for $CHECKOUT, seeded with the compiled dependencies of $(cat "$seed/checkout")"
      [ ! -d "$seed/cargo-target" ] || cp -a "$seed/cargo-target" "$WORK.tmp/cargo-target"
      [ ! -d "$seed/build/cargo" ] || cp -a "$seed/build/cargo" "$WORK.tmp/build/cargo"
      drop_workspace_crates "$WORK.tmp"
    fi
    echo "$CHECKOUT" >"$WORK.tmp/checkout"
    mv "$WORK.tmp" "$WORK"
  fi
  touch "$WORK/last-used"
  prune_checkouts "$KEEP_CHECKOUTS"
}

# prune_checkouts N: removes the build directories of all but the N checkouts used last,
# and any half-made set a run that failed while seeding left behind.
prune_checkouts() {
  local old
  rm -rf "$CHECKOUTS_DIR"/*.tmp
  checkouts_by_use | tail -n +$(($1 + 1)) | while read -r old; do
    say "Removing the build directories of $(cat "$old/checkout") (only the $KEEP_CHECKOUTS checkouts used last keep theirs)"
    rm -rf "$old"
  done
}

# The checkouts' directories, the one used last first.
checkouts_by_use() {
  local used
  for used in "$CHECKOUTS_DIR"/*/last-used; do
    [ ! -e "$used" ] || echo "$(stat -c %Y "$used") ${used%/last-used}"
  done | sort -rn | cut -d' ' -f2-
}

# Removes from the cargo target directories under DIR every trace of this workspace's
# own crates (their fingerprints, hence their outputs' freshness).
drop_workspace_crates() {
  local name
  for name in $(cd "$SRC" && cargo metadata --offline --no-deps --format-version 1 |
                python3 -c 'import json, sys; print("\n".join(p["name"] for p in json.load(sys.stdin)["packages"]))'); do
    find "$1" -mindepth 3 -maxdepth 8 -type d -path "*/.fingerprint/$name-*" -prune -exec rm -rf {} +
  done
}

localstack_start() {
  say "Starting LocalStack (STS) on $STS_ENDPOINT"
  LOCALSTACK_PORT=$LOCALSTACK_PORT bash "$SRC/tools/localstack/start.sh" "$1"
}
localstack_stop() { bash "$SRC/tools/localstack/stop.sh" "$1" || true; }

# A throwaway mysqld 9.7 with auth_awsiam loaded at start-up, whose own AWS
# credentials are LocalStack's account 123456789012 (so that is the account
# allowed by default). Files live in $1; TCP on 127.0.0.1:$2; more mysqld options after.
server_start() {
  local state=$1 port=$2
  shift 2
  rm -rf "$state/data"; mkdir -p "$state"
  mysqld --no-defaults --initialize-insecure --user=root --datadir="$state/data" \
    --log-error="$state/mysqld.err"
  AWS_ACCESS_KEY_ID=123456789012 AWS_SECRET_ACCESS_KEY=sandbox-placeholder-secret \
  AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  setsid mysqld --no-defaults --user=root --datadir="$state/data" \
    --port="$port" --bind-address=127.0.0.1 --socket="$state/mysqld.sock" --mysqlx=OFF \
    --log-error="$state/mysqld.err" --pid-file="$state/mysqld.pid" \
    --max-connections=500 --plugin-load-add=auth_awsiam.so \
    --auth_awsiam_sts_endpoint="$STS_ENDPOINT" --auth_awsiam_region=us-east-1 "$@" \
    </dev/null >/dev/null 2>&1 &
  for _ in $(seq 60); do
    mysql --no-defaults --socket="$state/mysqld.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "mysqld did not start; see $state/mysqld.err" >&2
  tail -n 20 "$state/mysqld.err" >&2
  return 1
}

server_stop() {
  local pidfile=$1/mysqld.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  rm -f "$pidfile"
}

# Mints a token for a role of account 123456789012 into an option file.
mint_option_file() {
  local role=$1 out=$2
  AWS_ACCESS_KEY_ID=123456789012 AWS_SECRET_ACCESS_KEY=sandbox-placeholder-secret \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    auth_awsiam_token --endpoint "$STS_ENDPOINT" --region us-east-1 \
      --assume-role "arn:aws:iam::123456789012:role/$role" \
      --format option-file --user "$role" --output "$out"
}

# go_package ARGS...: `go ARGS` on the Go package (clients/go), from its directory in a
# GOPATH of its own where it is auth_awsiam/clients/go, on the distribution's AWS SDK for
# Go (GOPATH mode, offline: Debian packages the SDK as source, not as modules).
go_package() {
  local gopath status=0
  gopath=$(mktemp -d)
  mkdir -p "$gopath/src/auth_awsiam/clients"
  cp -r "$SRC/clients/go" "$gopath/src/auth_awsiam/clients/go"
  (cd "$gopath/src/auth_awsiam/clients/go" &&
    AUTH_AWSIAM_TESTDATA="$SRC/plugin/auth_awsiam/core/testdata" GO111MODULE=off \
    GOPATH="$gopath:/usr/share/gocode" GOFLAGS='' GOPROXY=off GOTOOLCHAIN=local \
    GOCACHE="$CONNECTORS_DIR/go-cache" go "$@") || status=$?
  rm -rf "$gopath"
  return "$status"
}
