#!/usr/bin/env bash
# plugin/auth_awsiam/Cargo.lock is the lock file a copy of the plugin directory
# builds with when it is vendored alone into a server tree (see
# plugin/auth_awsiam/cmake/rust_core.cmake). It must hold exactly the
# repository's locked versions of what the plugin's crates use:
#
#   tools/plugin_lock.sh --check    fail if it differs from what it should be
#   tools/plugin_lock.sh --update   rewrite it
#
# "What it should be": the repository's Cargo.lock, given to a workspace of only
# the plugin's crates (as rust_core.cmake makes one), trimmed by cargo to what
# they use, with no version changed (cargo metadata keeps locked versions).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
plugin=$repo/plugin/auth_awsiam
mode=${1:---check}
ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
cp "$plugin/cmake/standalone_workspace.toml" "$ws/Cargo.toml"
cp "$repo/Cargo.lock" "$ws/Cargo.lock"
# The members, read from the same template rust_core.cmake and tools/vendor.sh use.
for member in $(sed -n 's/^members *= *\[\(.*\)\]/\1/p' "$ws/Cargo.toml" | tr -d '"' | tr ',' ' '); do
  ln -s "$plugin/$member" "$ws/$member"
done
cargo metadata --quiet --format-version 1 --manifest-path "$ws/Cargo.toml" >/dev/null
case $mode in
  --update) cp "$ws/Cargo.lock" "$plugin/Cargo.lock"; echo "updated $plugin/Cargo.lock" ;;
  --check)
    if ! diff -u "$plugin/Cargo.lock" "$ws/Cargo.lock"; then
      echo "plugin/auth_awsiam/Cargo.lock is not the repository's lock for the plugin's crates:" \
           "run tools/plugin_lock.sh --update" >&2
      exit 1
    fi
    echo "plugin/auth_awsiam/Cargo.lock: the repository's locked versions" ;;
  *) echo "usage: $0 [--check|--update]" >&2; exit 2 ;;
esac
