#!/usr/bin/env bash
# wine-prefix.sh — make (once) the 64-bit Wine prefix the Windows tests run in,
# and print its path.
#
#   wine-prefix.sh [PREFIX]   default: $MONEYPENNY_WINEPREFIX or /tmp/moneypenny-wine-$(id -u)
#
# A new prefix takes about 10 s and 700 MB (wineboot copies the system DLLs).
# The ProcessPrng shim (build-shim.sh) goes into system32: Go loads
# bcryptprimitives.dll with LOAD_LIBRARY_SEARCH_SYSTEM32, so a copy next to
# the test binary would not be found. The shim is rebuilt and re-copied when
# its source changes. No display is needed; Mono and Gecko are disabled.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="${1:-${MONEYPENNY_WINEPREFIX:-/tmp/moneypenny-wine-$(id -u)}}"
export WINEPREFIX="$prefix" WINEDEBUG="${WINEDEBUG:--all}" WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"
command -v wine >/dev/null || { echo "wine-prefix: wine is not installed" >&2; exit 1; }
exec 9>"$prefix.lock"
flock 9
if [ ! -f "$prefix/.moneypenny-ready" ]; then
  rm -rf "$prefix"
  # 9>&-: the wineserver this starts must not inherit (and keep) the lock.
  wineboot --init </dev/null >/dev/null 2>&1 9>&-
  wineserver -w 9>&-
  touch "$prefix/.moneypenny-ready"
fi
dll="$prefix/bcryptprimitives.dll"
"$here/build-shim.sh" "$dll"
sys="$prefix/drive_c/windows/system32/bcryptprimitives.dll"
if ! cmp -s "$dll" "$sys"; then
  cp "$dll" "$sys"
fi
echo "$prefix"
