# shellcheck shell=bash
# The checks tools/inside/test.sh runs on the builds and on mysql-test-run,
# inside the sandbox (sourced after common.sh).

# Configures the tree in DIR with the plugin on and the options that follow
# (the output goes to DIR.log), then builds the plugin's targets only. With
# --offline first, each runs with no network (common.sh: offline).
configure_tree() {
  local run=(); if [ "$1" = --offline ]; then run=(offline); shift; fi
  local dir=$1; shift
  # shellcheck disable=SC2086 # one argument per option
  "${run[@]}" cmake -S "$TREE" -B "$dir" -DWITH_AUTH_AWSIAM=ON "$@" $MYSQL_CMAKE_ARGS >"$dir.log" 2>&1 ||
    { tail -n 30 "$dir.log"; echo "configuring $dir failed" >&2; return 1; }
}
build_tree() {
  local run=(); if [ "$1" = --offline ]; then run=(offline); shift; fi
  "${run[@]}" cmake --build "$1" --parallel "$(nproc)" --target auth_awsiam auth_awsiam_client auth_awsiam_cli >"$1.build.log" 2>&1 ||
    { tail -n 40 "$1.build.log"; echo "building in $1 failed" >&2; return 1; }
}
# Fails unless FILE has a line with the fixed string TEXT.
expect_in() {
  grep -F -- "$2" "$1" >/dev/null || { echo "$1 lacks: $2" >&2; return 1; }
}

# What a build directory chose and built: the TLS probe answered as this
# server line's headers say (9.x has is_tls_established, 8.4 has not), the
# plugin exports its declarations, the token program runs.
check_build() {
  local dir=$1 want got symbols
  if [ "$LINE" = 8.4 ]; then want=""; else want=1; fi
  got=$(sed -n 's/^AUTH_AWSIAM_VIO_INFO_HAS_TLS_FIELD:INTERNAL=//p' "$dir/CMakeCache.txt")
  if [ "$got" != "$want" ]; then
    echo "$dir: the is_tls_established probe answered '$got', MySQL $MYSQL_VERSION wants '$want'" >&2
    return 1
  fi
  symbols=$(nm -D --defined-only "$dir/plugin_output_directory/auth_awsiam.so")
  case $symbols in
    *_mysql_plugin_declarations_*) ;;
    *) echo "$dir: auth_awsiam.so has no plugin declarations" >&2; return 1 ;;
  esac
  "$dir/runtime_output_directory/auth_awsiam_token" --version
  "$dir/runtime_output_directory/auth_awsiam_proxy" --version
}

# 9.7: the other ways the tree may be configured, beside the package build's
# (Corrosion, the vendored crates) and its plain-cargo build (check_vendored_plugin):
# with the option off (the tree must configure as if the plugin were not there); a Debug
# build (MySQL's maintainer mode: -Wall -Wextra -Werror, also on the TLS probe); and
# which Corrosion each CMake may use.
#
# The Rust core is the same in every build (one cargo profile whatever the build type),
# so the Debug build shares the package build's cargo target, and cargo compiles it
# once: the target directory its Corrosion uses is a link to the package build's
# (share_corrosion_target; Corrosion takes no target directory), and it builds in the
# package build's environment (in_package_build_env).
check_other_configurations() {
  say "Configuring with the option off"
  # shellcheck disable=SC2086 # one argument per option
  cmake -S "$TREE" -B "$BUILD-off" -DWITH_AUTH_AWSIAM=OFF $MYSQL_CMAKE_ARGS >"$BUILD-off.log" 2>&1 ||
    { tail -n 30 "$BUILD-off.log"; exit 1; }
  local targets; targets=$(cmake --build "$BUILD-off" --target help)
  case $targets in
    *awsiam*) echo "with -DWITH_AUTH_AWSIAM=OFF the tree still has auth_awsiam targets" >&2; exit 1 ;;
  esac

  say "Debug build (WITH_DEBUG, maintainer mode)"
  # Configured with the tree's own Debug flags (the package build's CFLAGS would add
  # -O2 and _FORTIFY_SOURCE, which -O0 and -Werror refuse); cargo builds in its environment.
  configure_tree --offline "$BUILD-debug" -DWITH_DEBUG=1
  expect_in "$BUILD-debug/CMakeCache.txt" "CMAKE_BUILD_TYPE:STRING=Debug"
  expect_in "$BUILD-debug.log" "auth_awsiam: TLS read from MYSQL_PLUGIN_VIO_INFO.is_tls_established"
  expect_in "$BUILD-debug.log" "cargo profile release"
  # Maintainer mode: the tree prints its flags while configuring.
  grep -E '^-- CMAKE_CXX_FLAGS: .*-Wextra.*-Werror' "$BUILD-debug.log" >/dev/null ||
    { echo "$BUILD-debug: no maintainer mode (-Wextra -Werror)" >&2; exit 1; }
  share_corrosion_target "$BUILD-debug"
  in_package_build_env build_tree --offline "$BUILD-debug"
  # Corrosion's default for Debug would be cargo's dev profile (output in debug/).
  expect_in "$BUILD-debug/plugin/auth_awsiam/CMakeFiles/_cargo-build_auth_awsiam_core.dir/build.make" \
    "--profile=release"
  if [ -n "$(find -L "$BUILD-debug/cargo/" -name libauth_awsiam_core.a -path '*/debug/*')" ]; then
    echo "the Debug build built a dev-profile core" >&2; exit 1
  fi
  # Maintainer mode: the plugin's own compile flags (make does not echo them).
  expect_in "$BUILD-debug/plugin/auth_awsiam/CMakeFiles/auth_awsiam.dir/flags.make" "-Werror"
  check_build "$BUILD-debug"
  say_if_cargo_compiled "$BUILD-debug"

  say "Which Corrosion each CMake may use (Corrosion $(corrosion_version) installed)"
  check_corrosion_choice "$(command -v cmake)" "Corrosion $(corrosion_version)"
  local v3_21 v3_18
  read -r v3_21 v3_18 <<<"$OLD_CMAKE_VERSIONS"
  check_corrosion_choice "$(old_cmake_dir "$v3_21")/cmake/data/bin/cmake" "no Corrosion 0.5 found"
  check_corrosion_choice "$(old_cmake_dir "$v3_18")/cmake/data/bin/cmake" "cannot tell Corrosion 0.5 from 0.6"
  echo "option off, Debug build and the Corrosion choice: as expected"
}

# in_package_build_env CMD...: CMD in the environment the Debian package build compiled
# its Rust crates in (its compiler flags, cargo profile settings and SOURCE_DATE_EPOCH,
# which debian/rules wrote down), so that cargo finds them fresh on the shared target
# rather than compiling every crate again (say_if_cargo_compiled tells).
in_package_build_env() {
  (
    set -a
    # shellcheck source=/dev/null
    . "$DEB_BUILD/build.env"
    set +a
    "$@"
  )
}

# The cargo target directory of build directory DIR's Corrosion build, as its build rules
# name it (Corrosion names it after the workspace's manifest path).
corrosion_target_dir() {
  local dir
  dir=$(grep -oE -- '--target-dir [^ ]+' \
          "$1/plugin/auth_awsiam/CMakeFiles/_cargo-build_auth_awsiam_core.dir/build.make" |
          head -n 1 | cut -d' ' -f2)
  [ -n "$dir" ] || { echo "$1: no cargo --target-dir in Corrosion's build rules" >&2; return 1; }
  echo "$dir"
}

# The builds after the main one share its Rust core (check_other_configurations): says
# so when cargo compiled anything for build directory DIR, which means that the two
# builds' cargo calls differ (the run takes minutes longer, nothing is wrong otherwise).
# The workspace's own crates do not count: their manifests are generated in each build
# directory (cargo-workspace/), so cargo sees them as other crates.
say_if_cargo_compiled() {
  local compiled
  compiled=$(grep -E '^ *Compiling ' "$1.build.log" | grep -cv ' (/' || true)
  [ "$compiled" = 0 ] ||
    echo "note: cargo compiled $compiled dependency crates again for $1: its cargo call differs from the package build's (see plugin/auth_awsiam/cmake/cargo_fallback.cmake)"
}

# Corrosion names its cargo target directory after the workspace's manifest, which for
# the archive's plugin is generated in each build directory (cargo-workspace/): the
# directory build directory DIR's Corrosion build will use becomes a link to the package
# build's cargo target, so its crates are found there, compiled.
share_corrosion_target() {
  local want
  want=$(corrosion_target_dir "$1")
  # (An older layout linked the whole of cargo/.)
  [ ! -L "$1/cargo" ] || rm "$1/cargo"
  mkdir -p "$(dirname "$want")"
  [ -L "$want" ] || { rm -rf "$want"; ln -s "$(corrosion_target_dir "$BUILD")" "$want"; }
}

corrosion_version() {
  sed -n 's/^set(PACKAGE_VERSION "\(.*\)")/\1/p' /usr/lib/*/cmake/Corrosion/CorrosionConfigVersion.cmake
}

# Configures tools/cmake_checks/corrosion_choice with the CMake given, which
# must print the choice given.
check_corrosion_choice() {
  local cmake=$1 want=$2 dir out
  dir=$(mktemp -d)
  "$cmake" -S "$SRC/tools/cmake_checks/corrosion_choice" -B "$dir" >"$dir.log" 2>&1 ||
    { cat "$dir.log"; echo "CMake $("$cmake" --version | head -n 1): configure failed" >&2; return 1; }
  out=$(grep 'corrosion choice:' "$dir.log")
  echo "$("$cmake" --version | head -n 1): $out"
  case $out in
    *"$want"*) rm -rf "$dir" "$dir.log" ;;
    *) echo "expected: $want" >&2; return 1 ;;
  esac
}

# The line's build is the Debian packages' (tools/inside/common.sh build_plugin_package):
# they copied the plugin directory of the vendored source archive into a tree of their
# own (not linked) and built it offline (packages.sh: no network, an empty cargo home)
# from the archive's crates, with exactly its own Cargo.lock, which cargo (--frozen) left
# as it was. Here: the CMake driver puts the same directory into a tree (ARCHIVE), and
# links (SYMLINK, its default) or copies (COPY) this checkout's; then the same tree
# with plain cargo instead of Corrosion, offline, on the package build's cargo target.
# On 9.7 that build also finds TLS through the THD (the only way on 8.4, whose
# MYSQL_PLUGIN_VIO_INFO has no is_tls_established), which the MTR run checks.
check_vendored_plugin() {
  say "The archive's plugin built offline from its crates, with its own Cargo.lock"
  if [ ! -d "$TREE/plugin/auth_awsiam/vendor" ] || [ -L "$TREE/plugin/auth_awsiam" ]; then
    echo "$TREE/plugin/auth_awsiam is not the vendored archive's" >&2; exit 1
  fi
  cmp "$SRC/plugin/auth_awsiam/Cargo.lock" "$BUILD/plugin/auth_awsiam/cargo-workspace/Cargo.lock"
  expect_in "$BUILD/CMakeCache.txt" "AUTH_AWSIAM_VENDORED:BOOL=ON"
  expect_in "$BUILD/CMakeCache.txt" "Corrosion_DIR:PATH=/"
  expect_in "$BUILD/plugin/auth_awsiam/vendored-sources.toml" "directory = \"$TREE/plugin/auth_awsiam/vendor\""

  check_placements

  # The compiler's variables spelled as the Corrosion that made the target (cargo_fallback.cmake).
  local cc_env=cargo tls=() tls_said="(this server's MYSQL_PLUGIN_VIO_INFO has no is_tls_established)"
  case $(corrosion_version) in 0.5.*) cc_env=underscore ;; esac
  if [ "$LINE" = 9.7 ]; then
    tls=(-DAUTH_AWSIAM_TLS_FROM_THD=ON) tls_said="(forced by AUTH_AWSIAM_TLS_FROM_THD)"
  fi
  say "Again with plain cargo, offline, on the Corrosion build's cargo target ${tls[*]}"
  in_package_build_env configure_tree --offline "$BUILD-no-corrosion" "${tls[@]}" \
    -DCMAKE_DISABLE_FIND_PACKAGE_Corrosion=ON \
    -DAUTH_AWSIAM_CARGO_TARGET_DIR="$(corrosion_target_dir "$BUILD")" -DAUTH_AWSIAM_CC_ENV_TRIPLE="$cc_env"
  in_package_build_env build_tree --offline "$BUILD-no-corrosion"
  expect_in "$BUILD-no-corrosion.log" "auth_awsiam: Rust core built with plain cargo (no Corrosion"
  expect_in "$BUILD-no-corrosion.log" "offline (--frozen)"
  expect_in "$BUILD-no-corrosion.log" "auth_awsiam: TLS found through the THD $tls_said"
  check_build "$BUILD-no-corrosion"
  say_if_cargo_compiled "$BUILD-no-corrosion"
}

# What the repository's CMake driver puts into a tree, in scratch trees: ARCHIVE the same
# plugin directory as the package build's; SYMLINK (the driver itself configured, its
# default) links to this checkout; COPY copies it.
check_placements() {
  say "The CMake driver's placements (ARCHIVE, SYMLINK, COPY) in scratch trees"
  local scratch archive
  scratch=$(mktemp -d)
  scratch_tree() { rm -rf "$scratch/tree"; mkdir -p "$scratch/tree/plugin" "$scratch/tree/mysql-test/suite"; }
  scratch_tree
  archive=$(echo "$WORK"/archive/auth_awsiam-*.tar.gz)
  (cd "$scratch" && cmake -DMYSQL_SOURCE_DIR="$scratch/tree" -DAUTH_AWSIAM_PLACEMENT=ARCHIVE \
     -DAUTH_AWSIAM_ARCHIVE="$archive" -P "$SRC/cmake/place_in_tree.cmake" >/dev/null)
  diff -r "$scratch/tree/plugin/auth_awsiam" "$TREE/plugin/auth_awsiam"
  [ ! -L "$scratch/tree/mysql-test/suite/auth_awsiam" ] && [ -f "$scratch/tree/mysql-test/suite/auth_awsiam/t/login.test" ]

  scratch_tree
  cmake -S "$SRC" -B "$scratch/driver" -DMYSQL_SOURCE_DIR="$scratch/tree" >"$scratch/driver.log"
  local path
  for path in plugin/auth_awsiam mysql-test/suite/auth_awsiam; do
    [ "$(readlink "$scratch/tree/$path")" = "$SRC/$path" ] ||
      { echo "the driver's SYMLINK placement: $scratch/tree/$path is not a link to $SRC/$path" >&2; exit 1; }
  done
  cmake --build "$scratch/driver" --target help | grep -E '^\.\.\. (plugin|mtr)$' | sort | paste -sd' ' |
    grep -Fx '... mtr ... plugin' >/dev/null || { echo "the driver has no plugin and mtr targets" >&2; exit 1; }

  scratch_tree
  (cd "$scratch" && cmake -DMYSQL_SOURCE_DIR="$scratch/tree" -DAUTH_AWSIAM_PLACEMENT=COPY \
     -P "$SRC/cmake/place_in_tree.cmake" >/dev/null)
  for path in plugin/auth_awsiam mysql-test/suite/auth_awsiam; do
    [ ! -L "$scratch/tree/$path" ] && diff -r "$SRC/$path" "$scratch/tree/$path"
  done
  rm -rf "$scratch"
}

# 8.4: the tree refuses, at configure time, Ubuntu's default cargo, older than the
# crates' rust-version.
check_old_cargo_refused() {
  say "An old cargo is refused"
  local old_path=${PATH#"$RUST_84_BIN":}
  if PATH=$old_path configure_tree "$BUILD-old-cargo" >/dev/null 2>&1; then
    echo "the tree configured with $(PATH=$old_path cargo --version)" >&2; exit 1
  fi
  expect_in "$BUILD-old-cargo.log" "auth_awsiam needs Rust"
  grep -A2 "auth_awsiam needs Rust" "$BUILD-old-cargo.log"
}

# mysql-test-run on the chroot's mysqld, with the suite's environment, in a new
# VARDIR: mtr VARDIR ARGS... MYSQLROUTER: 9.7's mysql-test-run sets it itself (to the
# same program); 8.4's does not look for MySQL Router at all.
mtr() {
  local vardir=$1; shift
  rm -rf "$vardir"
  (cd "$MTR_HOME" &&
   env AUTH_AWSIAM_STS_ENDPOINT="$STS_ENDPOINT" AUTH_AWSIAM_TOKEN=/usr/local/bin/auth_awsiam_token \
       AUTH_AWSIAM_PROXY=/usr/local/bin/auth_awsiam_proxy AUTH_AWSIAM_PROXY_RUBY="$PROXY_RUBY_DIR" \
       AUTH_AWSIAM_STS_DOUBLE="${STS_DOUBLE:-}" CI=1 \
       MYSQLROUTER="$(command -v mysqlrouter || true)" \
       AUTH_AWSIAM_MYSQLCLIENT_PYTHON="$MYSQLCLIENT_VENV/bin/python" AUTH_AWSIAM_CONNECTORS="$CONNECTORS_DIR" \
       AUTH_AWSIAM_AWS_SDK="$LOCALSTACK_VENV_DIR" \
       AUTH_AWSIAM_PYTHON_PACKAGE_VENV="$PYTHON_PACKAGE_VENV" \
       AWS_ACCESS_KEY_ID=123456789012 AWS_SECRET_ACCESS_KEY=mtr-server-placeholder-secret \
       AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
     perl ./mysql-test-run.pl --client-bindir="$MTR_HOME/bin" --suite=auth_awsiam \
       --vardir="$vardir" --parallel=1 --force --max-test-fail=0 --retry=0 \
       --report-unstable-tests "$@")
}

# Runs mtr (output to LOG, vardir LOG without .log, its JUnit report LOG with .xml
# for .log) and holds it to its word: mtr exits 0 when tests skip or are disabled, so
# its report is read too. Every auth_awsiam test must pass: none failed, skipped or
# disabled, and as many passed as were asked for (each test file of the suite, or each
# test named in the arguments), so that a test that silently stopped running fails
# the run too. Sets MTR_PASSED.
mtr_checked() {
  local log=$1; shift
  local vardir=${log%.log} report=${log%.log}.xml expected=0 arg status outcome others
  for arg in "$@"; do
    case $arg in -*) ;; *) expected=$((expected + 1)) ;; esac
  done
  if [ "$expected" = 0 ]; then
    expected=$(find "$SRC/mysql-test/suite/auth_awsiam/t" -name '*.test' | wc -l)
  fi
  rm -f "$report"
  set +e
  mtr "$vardir" --xml-report="$report" "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  # sts_faults stops its double itself; a test that died on the way leaves it to us.
  if [ -n "${STS_DOUBLE:-}" ] && [ -f "$vardir/tmp/sts_double/sts_double.pid" ]; then
    "$STS_DOUBLE" stop --dir "$vardir/tmp/sts_double" || true
  fi
  set -e
  # The report mysql-test-run writes for machines, not its log for people.
  if ! outcome=$(python3 "$SRC/tools/inside/mtr_report.py" "$report"); then
    echo "mtr on MySQL $MYSQL_VERSION: exit $status, and no report in $report; server logs under $vardir/log" >&2
    exit 1
  fi
  MTR_PASSED=$(head -n 1 <<<"$outcome")
  others=$(tail -n +2 <<<"$outcome")
  if [ "$status" -ne 0 ] || [ -n "$others" ] || [ "$MTR_PASSED" -ne "$expected" ]; then
    echo "mtr on MySQL $MYSQL_VERSION: exit $status; $MTR_PASSED of the $expected auth_awsiam tests passed" >&2
    [ -z "$others" ] || printf 'not passed:\n%s\n' "$others" >&2
    echo "server logs under $vardir/log" >&2
    exit 1
  fi
}

# Runs a command with the plugin of build directory DIR in mysqld's plugin
# directory, then puts the main build's back, also when the command fails or
# ends the script.
with_plugin() {
  local dir=$1; shift
  install -m 0644 "$dir/plugin_output_directory/auth_awsiam.so" "$PLUGIN_DIR/auth_awsiam.so"
  on_exit install_main_plugin
  "$@"
  install_main_plugin
  on_exit_done install_main_plugin
}
install_main_plugin() {
  install -m 0644 "$BUILD/plugin_output_directory/auth_awsiam.so" "$PLUGIN_DIR/auth_awsiam.so"
}
