#!/usr/bin/env bash
# test-windows.sh — run the Windows Credential Manager adapter's tests
# (./windows/) for real, under Wine, as scripts/test.sh does.
#
# Needs Debian's wine + wine64 (Wine 8; wine32 is not needed) and mingw-w64
# for the ProcessPrng shim. Missing packages are installed when we are root
# with apt-get; otherwise the script says what to install and fails under
# CI=true (skips elsewhere). Extra arguments go to `go test` (e.g. -v, -run).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/../.."

have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
have wine || missing+=(wine)
have wine64 || missing+=(wine64)
command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=(gcc-mingw-w64-x86-64-win32)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test-windows: missing ${missing[*]}; install with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    if [ "${CI:-}" = true ]; then exit 1; fi
    echo "test-windows: skipped (not CI)" >&2
    exit 0
  fi
fi

# Build the prefix and shim up front so a failure there is reported as such.
"$here/wine-prefix.sh" >/dev/null
PATH="$here:$PATH" GOOS=windows GOARCH=amd64 CGO_ENABLED=0 \
  go test -count=1 "$@" ./windows/
