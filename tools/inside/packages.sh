#!/usr/bin/env bash
# The Debian packages of this server line (packaging/debian, issue 21), inside its sandbox
# chroot, as a packager builds them: the source package made of the vendored source archive
# (tools/vendor.sh, the upstream tarball) and packaging/debian, then dpkg-buildpackage with no
# network and a cargo home that never fetched a crate; lintian on the result. The .deb
# files are left in DEB_OUT_DIR (tools/pins.sh), where tools/package_check.sh installs them
# into a bare chroot of the same line and logs in.
#
# The tree is unpacked and built in a directory of this checkout's ($DEB_BUILD:
# AUTH_AWSIAM_DEB_BUILD_DIR, see packaging/debian/rules), so a second run compiles only
# what changed. On 8.4 this is the line's build (tools/inside/common.sh build_plugin).
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
# shellcheck source=checks.sh
source "$(dirname "$0")/checks.sh"

checkout_dirs
say "Debian packages: the vendored source archive (tools/vendor.sh)"
archive=$(bash "$SRC/tools/vendor.sh" "$WORK/archive")
version=$(basename "$archive" .tar.gz); version=${version#auth_awsiam-}
# The package's upstream version is the crates' (one version for both).
changelog_version=$(dpkg-parsechangelog -l "$SRC/packaging/debian/changelog" -S Version)
if [ "${changelog_version%-*}" != "$version" ]; then
  echo "packaging/debian/changelog says $changelog_version, the crates $version" >&2; exit 1
fi

deb=$WORK/deb
rm -rf "$deb"; mkdir -p "$deb"
cp "$archive" "$deb/auth-awsiam_$version.orig.tar.gz"
tar -xzf "$archive" -C "$deb"
mv "$deb/auth_awsiam-$version" "$deb/auth-awsiam-$version"
cp -a "$SRC/packaging/debian" "$deb/auth-awsiam-$version/debian"
# The changelog's target distribution is Debian's (unstable); Ubuntu's packages are for
# the release they are built on.
# shellcheck source=/dev/null
. /etc/os-release
if [ "$ID" = ubuntu ]; then
  sed -i "1s/) unstable;/) $VERSION_CODENAME;/" "$deb/auth-awsiam-$version/debian/changelog"
fi

say "dpkg-buildpackage (source and binary packages), offline, in $deb"
# dpkg-buildpackage keeps its own log of every command; on failure its end is shown.
if ! (cd "$deb/auth-awsiam-$version" &&
      AUTH_AWSIAM_DEB_BUILD_DIR=$DEB_BUILD offline dpkg-buildpackage -us -uc -j"$(nproc)") \
     >"$deb/build.log" 2>&1; then
  tail -n 60 "$deb/build.log" >&2
  echo "dpkg-buildpackage failed; the whole log: $deb/build.log" >&2
  exit 1
fi
expect_in "$deb/build.log" "auth_awsiam: crates from $DEB_BUILD/tree/plugin/auth_awsiam/vendor, offline (--frozen)"
ls -l "$deb"/*.deb

# The source package is the same on both lines but for the changelog's distribution,
# and lintian reads every file of it, the vendored crates too (minutes): it is linted
# where it is built for Debian, and on Ubuntu only the binary packages are.
lint=("$deb"/auth-awsiam_*.changes) linted="source and binary packages"
if [ "$ID" = ubuntu ]; then lint=("$deb"/*.deb) linted="binary packages (the source is linted on Debian)"; fi
say "lintian on the $linted"
# An error or a warning fails the run, unless packaging/debian explains it in a
# lintian-overrides file; the informational and pedantic findings are shown.
status=0
lintian --pedantic --info --display-info --fail-on error,warning \
  "${lint[@]}" >"$deb/lintian.log" 2>&1 || status=$?
grep -v 'running with root privileges' "$deb/lintian.log" || echo "(no finding)"
[ "$status" = 0 ] || { echo "lintian found errors or warnings (above)" >&2; exit 1; }

rm -rf "$DEB_OUT_DIR"; mkdir -p "$DEB_OUT_DIR"
cp "$deb"/*.deb "$DEB_OUT_DIR/"
say "The packages, for tools/package_check.sh: $(cd "$DEB_OUT_DIR" && echo *.deb)"
