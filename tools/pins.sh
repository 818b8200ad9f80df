# shellcheck shell=bash disable=SC2034
# Pinned versions and fixed paths, each stated once. Sourced (never run) by the scripts
# of tools/ on the host and of tools/inside/ in the sandbox chroots; it only sets
# variables. A pin that a provisioning stamp holds (tools/sandbox.sh) re-provisions that
# step in every chroot when it changes: that is what the stamp is for.

# --- On the host -------------------------------------------------------------------
# Chroots, the fuzz corpus and target directory, the Sphinx venv.
CACHE_DIR=/var/cache/auth_awsiam
CARGO_FUZZ_VERSION=0.13.2             # tools/fuzz.sh
SPHINX_VERSION=8.2.3                  # tools/docs.sh
CARGO_MUTANTS_VERSION=27.1.0          # tools/mutants.sh: mutant names change between versions

# --- In the chroots (tools/sandbox.sh) ----------------------------------------------
INSIDE_REPO=/src/auth_awsiam          # this repository, bind-mounted
MYSQL_SRC_DIR=/usr/src/mysql          # mysql-source's tarball and the tree unpacked from it
MYSQL_SOURCE_TARBALL=$MYSQL_SRC_DIR/mysql-source.tar.gz
MYSQL_TREE=$MYSQL_SRC_DIR/tree
# Build directories and cargo target directories, one set per checkout (tools/inside/common.sh).
CHECKOUTS_DIR=$MYSQL_SRC_DIR/checkouts
MTR_HOME=/usr/lib/mysql-test          # Debian's mysql-test-run and its binaries
PLUGIN_DIR=/usr/lib/mysql/plugin      # the packaged mysqld's plugin_dir (and the client's)
LOCALSTACK_PORT_DEFAULT=4566
LOCALSTACK_VENV_DIR=/opt/localstack
# 8.4 (Ubuntu): the default cargo is older than the crates' rust-version; this one is not.
RUST_84_BIN=/usr/lib/rust-1.97/bin
# The client library the benchmark's load generator opens (dlopen), by its soname.
LIBMYSQLCLIENT_SONAME=libmysqlclient.so.24

# Python's mysqlclient built against libmysqlclient (tools/inside/provision.sh mysqlclient).
MYSQLCLIENT_VENV=/opt/mysqlclient
MYSQLCLIENT_PIN='mysqlclient<3'
# The connectors of the MTR test 'connectors' (tools/inside/provision.sh connectors).
CONNECTORS_DIR=/opt/connectors
# Debian and Ubuntu packages, each line's own version: the drivers with no auth_awsiam
# support that the MTR test 'proxy' logs in through auth_awsiam_proxy (JDK: source-file
# mode runs the test's Java program without a build step), installed by
# tools/inside/provision.sh proxy_drivers; Ruby's mysql2 where it cannot be installed is
# unpacked into PROXY_RUBY_DIR (that script says why).
PROXY_DRIVER_PACKAGES="default-jdk-headless libmariadb-java php-cli php-mysql ruby ruby-mysql2"
PROXY_RUBY_DIR=/opt/proxy-ruby
# MySQL Router, in front of the group of the MTR test 'cluster_router' (the distribution's
# package, of the same release as the server).
ROUTER_PACKAGES="mysql-router"
MYSQL2_PIN=mysql2@3.24.6
MYSQL_CONNECTOR_PYTHON_PIN=mysql-connector-python==26.10.0
# The Python package clients/python is installed (pip, from this checkout, offline) by the
# MTR tests into a target directory and run with this venv: its dependencies, and the
# build backend pip needs to install a local package.
PYTHON_PACKAGE_VENV=$CONNECTORS_DIR/auth-awsiam-python
PYTHON_PACKAGE_PINS="botocore==1.42.72 PyMySQL==1.1.2 setuptools==80.9.0"
# The Node.js package clients/node: its dependencies, installed beside mysql2 in the
# connectors' node_modules (and so in npm's cache, from which the MTR tests install the
# package itself, offline).
NODE_PACKAGE_DEPS="@aws-crypto/sha256-js@5.2.0 @aws-sdk/client-sts@3.1178.0 @aws-sdk/credential-providers@3.1178.0 @smithy/protocol-http@5.6.2 @smithy/signature-v4@5.7.5"
# The Debian packages (packaging/debian): the tools that build and check them in the
# chroots (tools/inside/packages.sh), where a line's packages are left in its chroot, and
# the port of the LocalStack that their login check in a bare chroot uses
# (tools/package_check.sh).
DEB_TOOL_PACKAGES="build-essential debhelper help2man lintian"
DEB_OUT_DIR=/var/tmp/auth_awsiam-debs
# A checkout's directory where debian/rules unpacks and builds the tree (its
# AUTH_AWSIAM_DEB_BUILD_DIR), under the checkout's build directories (tools/inside/common.sh).
DEB_BUILD_NAME=deb-build
PACKAGE_CHECK_STS_PORT=4577
# A line that tools/test.sh runs beside the first one has ports of its own: its
# LocalStack's, its package check's STS, and mysql-test-run's range (MTR_BUILD_THREAD N
# takes ports from 10000 + 10 N; the first line's mysql-test-run finds free ones from
# 13000 up).
SIDE_LINE_LOCALSTACK_PORT=4567
SIDE_LINE_PACKAGE_CHECK_STS_PORT=4578
SIDE_LINE_MTR_BUILD_THREAD=400
# Older CMake releases (PyPI wheels) for the Corrosion choice test, each in
# /opt/cmake-MAJOR.MINOR (old_cmake_dir).
OLD_CMAKE_VERSIONS="3.21.4 3.18.4.post1"
old_cmake_dir() { echo "/opt/cmake-$(echo "$1" | cut -d. -f1,2)"; }
