# Shared by the scripts that run inside the sandbox chroot (tools/sandbox.sh).
set -euo pipefail
SRC=/src/auth_awsiam                    # this repository, bind-mounted
TREE=/usr/src/mysql/tree                # the unpacked MySQL source tree (9.7 or 8.4)
BUILD=/usr/src/mysql/build              # its build directory (kept between runs)
DRIVER=/usr/src/mysql/driver            # build dir of the repository's CMakeLists.txt
MTR_HOME=/usr/lib/mysql-test            # Debian's mysql-test-run and its binaries
PLUGIN_DIR=/usr/lib/mysql/plugin        # Debian mysqld's plugin_dir
LOCALSTACK_PORT=${LOCALSTACK_PORT:-4566}
STS_ENDPOINT=http://127.0.0.1:$LOCALSTACK_PORT
export CARGO_HOME=/root/.cargo AWS_EC2_METADATA_DISABLED=true

# The server line of this chroot (tools/sandbox.sh --line), e.g. 9.7.4 or 8.4.13.
MYSQL_VERSION=$(sed -n 's/^MYSQL_VERSION_\(MAJOR\|MINOR\|PATCH\)=//p' "$TREE/MYSQL_VERSION" | paste -sd.)
LINE=${MYSQL_VERSION%.*}                # 9.7 or 8.4
PLACEMENT=SYMLINK                       # plugin and suite linked from this repository
if [ "$LINE" = 8.4 ]; then
  # Ubuntu's default cargo (1.93) is older than the crates' rust-version; its
  # versioned toolchain package (cargo-1.97) is not.
  export PATH=/usr/lib/rust-1.97/bin:$PATH
  # Copied, as packagers vendor a plugin: the copy builds with its own Cargo.lock.
  PLACEMENT=COPY
fi

# Each step with the minutes and seconds since the run began, so that a CI log
# shows where a cold run spends its time.
say() { printf '\n==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

# Puts the plugin and the suite into the tree, configures it with
# -DWITH_AUTH_AWSIAM=ON, builds the plugin target only, and installs the .so
# where Debian's mysqld looks for plugins.
build_plugin() {
  say "Building auth_awsiam in the MySQL $MYSQL_VERSION source tree ($TREE, plugin placed by $PLACEMENT)"
  sources_from_this_checkout
  cmake -S "$SRC" -B "$DRIVER" -DMYSQL_SOURCE_DIR="$TREE" -DMYSQL_BUILD_DIR="$BUILD" \
        -DAUTH_AWSIAM_PLACEMENT="$PLACEMENT" \
        -DMTR_COMMAND="perl $MTR_HOME/mysql-test-run.pl --client-bindir=$MTR_HOME/bin" >/dev/null
  # Configure the tree again every time: the build directory may have been configured
  # last from another checkout (the sandbox is shared), and a CMakeLists.txt older than
  # its makefiles would not make it configure again by itself.
  if [ -f "$BUILD/CMakeCache.txt" ]; then
    cmake "$BUILD" >/tmp/auth_awsiam-reconfigure.log 2>&1 ||
      { tail -n 30 /tmp/auth_awsiam-reconfigure.log; return 1; }
  fi
  cmake --build "$DRIVER" --target plugin
  echo "$SOURCES_SUM $(plugin_outputs_id)" >"$SOURCES_STAMP"
  # The options the driver configured the tree with, for other configurations.
  MYSQL_CMAKE_ARGS=$(sed -n 's/^MYSQL_CMAKE_ARGS:STRING=//p' "$DRIVER/CMakeCache.txt" | tr ';' ' ')
  install -m 0644 "$BUILD/plugin_output_directory/auth_awsiam.so" "$PLUGIN_DIR/auth_awsiam.so"
  # The client library's default plugin directory is the same one.
  install -m 0644 "$BUILD/plugin_output_directory/auth_awsiam_client.so" "$PLUGIN_DIR/auth_awsiam_client.so"
  install -m 0755 "$BUILD/runtime_output_directory/auth_awsiam_token" /usr/local/bin/auth_awsiam_token
  ln -sfn "$SRC/mysql-test/suite/auth_awsiam" "$MTR_HOME/suite/auth_awsiam"
}

# The sandbox's build directories are shared by every checkout that runs in it
# (worktrees, clones), and make and cargo choose what to rebuild by mtime: sources
# from a checkout older than the last build's objects would be passed over, and
# the plugin would link a mix of two checkouts. So when the Rust and C++ sources
# differ in content from those of the last build here, they are all touched first.
# The stamp also holds the plugin outputs' times and sizes, written after the build:
# a later build by a checkout that does not write the stamp (a branch that has not
# merged this yet) changes them, and the next build here is not fooled (seen).
SOURCES_STAMP=/usr/src/mysql/last-build-sources.sha256
sources_from_this_checkout() {
  local dirs
  dirs=(plugin/auth_awsiam tools/sts_double tools/loadgen)
  SOURCES_SUM=$(cd "$SRC" && find "${dirs[@]}" Cargo.toml Cargo.lock -type f -print0 | sort -z |
        xargs -0 sha256sum | sha256sum | cut -c1-64)
  if [ "$(cat "$SOURCES_STAMP" 2>/dev/null)" != "$SOURCES_SUM $(plugin_outputs_id)" ]; then
    (cd "$SRC" && find "${dirs[@]}" Cargo.toml Cargo.lock -type f -exec touch {} +)
  fi
}

# The modification times and sizes of the plugin build's outputs.
plugin_outputs_id() {
  stat -c %Y.%s "$BUILD/plugin_output_directory/auth_awsiam.so" \
    "$BUILD/plugin_output_directory/auth_awsiam_client.so" \
    "$BUILD/runtime_output_directory/auth_awsiam_token" 2>/dev/null | paste -sd, || true
}

localstack_start() {
  say "Starting LocalStack (STS) on $STS_ENDPOINT"
  LOCALSTACK_PORT=$LOCALSTACK_PORT bash "$SRC/tools/localstack/start.sh" "$1"
}
localstack_stop() { bash "$SRC/tools/localstack/stop.sh" "$1" || true; }

# A throwaway mysqld 9.7 with auth_awsiam loaded at start-up, whose own AWS
# credentials are LocalStack's account 123456789012 (so that is the account
# allowed by default). Files live in $1; TCP on 127.0.0.1:$2.
server_start() {
  local state=$1 port=$2
  rm -rf "$state/data"; mkdir -p "$state"
  mysqld --no-defaults --initialize-insecure --user=root --datadir="$state/data" \
    --log-error="$state/mysqld.err"
  AWS_ACCESS_KEY_ID=123456789012 AWS_SECRET_ACCESS_KEY=sandbox-placeholder-secret \
  AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  setsid mysqld --no-defaults --user=root --datadir="$state/data" \
    --port="$port" --bind-address=127.0.0.1 --socket="$state/mysqld.sock" --mysqlx=OFF \
    --log-error="$state/mysqld.err" --pid-file="$state/mysqld.pid" \
    --max-connections=500 --plugin-load-add=auth_awsiam.so \
    --auth_awsiam_sts_endpoint="$STS_ENDPOINT" --auth_awsiam_region=us-east-1 \
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
