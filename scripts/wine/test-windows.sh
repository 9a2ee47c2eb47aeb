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

source scripts/debs.sh
if ! need_debs wine wine64 gcc-mingw-w64-x86-64-win32; then
  if [ "${CI:-}" = true ]; then exit 1; fi
  echo "test-windows: skipped (not CI)" >&2
  exit 0
fi

# Build the prefix and shim up front so a failure there is reported as such.
"$here/wine-prefix.sh" >/dev/null
PATH="$here:$PATH" GOOS=windows GOARCH=amd64 CGO_ENABLED=0 \
  go test -count=1 "$@" ./windows/
