#!/usr/bin/env bash
# Runs shellcheck on every shell script of the repository: the files ending in .sh and those
# whose first line runs bash or sh (.ci/run). Debian's shellcheck is installed on the host
# when missing (as root; tools/test.sh runs this first). Fails on any finding, style
# included (.shellcheckrc holds the settings).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
if ! command -v shellcheck >/dev/null; then
  echo "[shellcheck] installing Debian's shellcheck on the host" >&2
  apt-get -o Acquire::Retries=5 update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=5 install -y -qq shellcheck >/dev/null
fi
# The files git tracks or would track (not the ignored ones), or every file outside git.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard)
else
  mapfile -t files < <(find . -path ./.git -prune -o -path ./target -prune -o -type f -print | sed 's|^\./||')
fi
scripts=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  case $f in
    *.sh) scripts+=("$f") ;;
    *) head -n 1 "$f" | grep -qE '^#!.*\b(ba)?sh\b' && scripts+=("$f") ;;
  esac
done
shellcheck --external-sources "${scripts[@]}"
echo "[shellcheck] ${#scripts[@]} scripts, no finding ($(shellcheck --version | sed -n 's/^version: //p'))"
