#!/usr/bin/env bash
# build-shim.sh OUT.dll — compile bcryptprimitives.c (a ProcessPrng stand-in,
# see the comment at its top) into OUT.dll with mingw-w64, unless OUT.dll is
# already newer than the source. Wine 8 lacks bcryptprimitives.dll, and every
# Go >= 1.22 windows binary needs it at start-up.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build-shim.sh OUT.dll}"
src="$here/bcryptprimitives.c"
if [ -f "$out" ] && [ "$out" -nt "$src" ]; then
  exit 0
fi
cc="${MINGW_CC:-x86_64-w64-mingw32-gcc}"
command -v "$cc" >/dev/null || {
  echo "build-shim: $cc not found (apt-get install gcc-mingw-w64-x86-64-win32)" >&2
  exit 1
}
mkdir -p "$(dirname "$out")"
"$cc" -shared -O2 -s -o "$out.tmp" "$src" -ladvapi32
mv "$out.tmp" "$out"
