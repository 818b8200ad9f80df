#!/usr/bin/env bash
# The vendored source archive (issue 21): what a packager puts into a MySQL or Percona
# Server source tree to build the plugin with no network. It holds the plugin directory
# as it goes into the tree (plugin/auth_awsiam, with its Cargo.lock) and, in its vendor/
# directory, every crate that Cargo.lock names (`cargo vendor`). Configured in a tree,
# the plugin then builds from those crates, offline (rust_core.cmake:
# AUTH_AWSIAM_VENDORED, on by default when vendor/ is there).
#
#   tools/vendor.sh OUT_DIR     writes OUT_DIR/auth_awsiam-VERSION.tar.gz, prints its path
#
# Unpack it at the top of the tree:
#   tar -xzf auth_awsiam-VERSION.tar.gz --strip-components=1 -C percona-server
#
# Making it needs cargo and the crate registry (or the crates in cargo's cache).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:?usage: tools/vendor.sh OUT_DIR}
plugin=$root/plugin/auth_awsiam
version=$(sed -n 's/^version *= *"\(.*\)"$/\1/p' "$plugin/core/Cargo.toml" | head -n 1)
name=auth_awsiam-$version

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/plugin"
cp -a "$plugin" "$stage/$name/plugin/"
rm -rf "$stage/$name/plugin/auth_awsiam/vendor"

# The workspace rust_core.cmake makes for a copied plugin directory: its members (read
# from the same template) linked, and the directory's own Cargo.lock.
ws=$stage/workspace
mkdir "$ws"
cp "$plugin/cmake/standalone_workspace.toml" "$ws/Cargo.toml"
cp "$plugin/Cargo.lock" "$ws/Cargo.lock"
members=$(sed -n 's/^members *= *\[\(.*\)\]/\1/p' "$ws/Cargo.toml" | tr -d '"' | tr ',' ' ')
for member in $members; do
  ln -s "$stage/$name/plugin/auth_awsiam/$member" "$ws/$member"
done
# --locked: exactly Cargo.lock's versions. The printed configuration is not needed:
# rust_core.cmake writes its own, pointing at the directory wherever it is unpacked.
cargo vendor --quiet --locked --versioned-dirs --manifest-path "$ws/Cargo.toml" \
  "$stage/$name/plugin/auth_awsiam/vendor" >/dev/null

mkdir -p "$out"
# Sorted names, no owners. The files keep their own times: a build directory that already
# built an older archive must see the new files as newer (CMake copies Cargo.lock into its
# workspace again only then), which one fixed date for all would not give.
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name"
echo "$out/$name.tar.gz"
