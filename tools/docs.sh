#!/usr/bin/env bash
# Builds the user documentation (docs/) with Sphinx, warnings as errors, so that a
# malformed table, a broken reference or a missing literalinclude fails the run.
# Sphinx comes from PyPI, pinned, into a venv kept in /var/cache/auth_awsiam/sphinx
# ($AUTH_AWSIAM_SPHINX_VENV); the HTML goes to a temporary directory (or to $1).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=pins.sh
source "$REPO/tools/pins.sh"
VENV=${AUTH_AWSIAM_SPHINX_VENV:-$CACHE_DIR/sphinx}
if [ "$("$VENV/bin/sphinx-build" --version 2>/dev/null | awk '{print $2}')" != "$SPHINX_VERSION" ]; then
  echo "[docs] installing Sphinx $SPHINX_VERSION into $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "sphinx==$SPHINX_VERSION"
fi
out=${1:-}
if [ -z "$out" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
"$VENV/bin/sphinx-build" -q -E -W --keep-going -b html "$REPO/docs" "$out"
echo "[docs] Sphinx $SPHINX_VERSION built docs/ with no warning"
