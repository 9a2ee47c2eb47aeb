#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script).
#
# Installs the Debian packages the tests talk to when they are missing and we
# are root; otherwise names the exact apt-get command and stops. Then: go vet,
# gofmt, staticcheck, `go test -race ./...` against the real peers (private
# dbus-daemon, gnome-keyring, secret-tool, xdg-desktop-portal, bubblewrap,
# kernel keyrings), short fuzz runs, cross-builds for darwin/windows/arm64
# with CGO_ENABLED=0, and the Windows adapter's tests under Wine.
#
# Environment: FUZZTIME (default 10s per fuzz target), SKIP_WINE=1 to leave
# out the Wine run on a machine that cannot have wine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CGO_ENABLED=0
export PATH="$PATH:$(go env GOPATH)/bin"

source scripts/debs.sh
pkgs=(dbus dbus-x11 gnome-keyring libsecret-tools gir1.2-secret-1 python3-secretstorage python3-gi
      gir1.2-gcr-3 xdg-desktop-portal bubblewrap keyutils zsh fish postgresql keepassxc
      libkf5wallet-bin libqca-qt5-2-plugins)
if [ "${SKIP_WINE:-0}" != 1 ]; then
  pkgs+=(wine wine64 gcc-mingw-w64-x86-64-win32)
fi
need_debs "${pkgs[@]}" || exit 1

if ! command -v staticcheck >/dev/null; then
  echo "== installing staticcheck"
  go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi

echo "== go vet"
go vet ./...
echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi
echo "== staticcheck"
staticcheck ./...

echo "== cross-builds (CGO_ENABLED=0)"
for target in darwin/arm64 darwin/amd64 windows/amd64 linux/arm64; do
  GOOS=${target%/*} GOARCH=${target#*/} go vet ./...
  GOOS=${target%/*} GOARCH=${target#*/} go build -o /dev/null ./cmd/moneypenny
  echo "   $target ok"
done

# The third-party keyring fixtures (libsecret's, oo7's) are read, never
# committed: testpeer.Fixture finds them through MONEYPENNY_FIXTURES or a
# shared/fixtures directory above this one. Without them their tests skip,
# and under CI=true fail.
fixtures=${MONEYPENNY_FIXTURES:-}
if [ -z "$fixtures" ]; then
  d=$PWD
  while :; do
    if [ -d "$d/shared/fixtures" ]; then fixtures=$d/shared/fixtures; break; fi
    [ "$d" = / ] && break
    d=$(dirname "$d")
  done
fi
if [ -z "$fixtures" ] || [ ! -d "$fixtures" ]; then
  echo "== note: no shared/fixtures found (MONEYPENNY_FIXTURES unset): the libsecret/oo7 fixture tests skip (under CI=true they fail)"
fi

echo "== go test -race ./..."
go_test_flags=(-race -count=1 -timeout 30m)
CGO_ENABLED=1 go test "${go_test_flags[@]}" ./...

# The HashiCorp Vault engine against the real Vault core in-process: a
# nested module, so the library never requires github.com/hashicorp/vault
# (a cold build downloads ~466 MiB and needs ~3.3 GB of memory).
echo "== vault/hcvault against the in-process Vault core (nested module)"
# Built once, without -race and without staticcheck: each of those would
# compile or analyse the Vault core's 864 modules again (cold, ~10 minutes
# each on 2 cores). The engine itself, its cache and its HTTP handling run
# under -race in the root module's tests against httptest servers.
(cd vault/hcvault/vaulttest && go vet ./... && go test -count=1 -timeout 30m ./...)

# The race detector slows every writer several times over, which hides the
# races between processes that these tests are about (it once hid a lost
# update between our writers and libsecret): run them at full speed too.
echo "== multi-process file keyring tests, without -race"
go test -count=1 -run 'Process|Libsecret|Crash|Concurrent' ./filekeyring/

echo "== fuzz (${FUZZTIME:-10s} per target)"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "   $pkg $target"
    # A crash always writes "Failing input written to testdata/fuzz/...". A
    # bare "context deadline exceeded" without one is Go 1.26's fuzzing
    # coordinator racing its own -fuzztime deadline (golang/go#75804, fixed in
    # Go 1.27), not a finding: it is run again, and tolerated with a warning
    # if it recurs. Any other failure fails the run.
    for try in 1 2; do
      if out=$(go test -run='^$' -fuzz="^${target}\$" -fuzztime="${FUZZTIME:-10s}" -parallel=1 "$pkg" 2>&1); then
        break
      fi
      body=$(echo "$out" | grep -v '^fuzz: elapsed')
      if grep -q "Failing input written to" <<<"$out" ||
         ! grep -q "context deadline exceeded" <<<"$out" ||
         grep -qE "panic:|_test\.go:[0-9]+:" <<<"$out"; then
        echo "$body" | tail -40
        exit 1
      fi
      if [ "$try" = 2 ]; then
        echo "   warning: $target hit Go's fuzz-deadline race twice (golang/go#75804); no failing input"
      else
        echo "   (Go's fuzz-deadline race, golang/go#75804, no failing input; running once more)"
      fi
    done
  done
done

# The AWS Secrets Manager engine is a module of its own (the root module
# carries no AWS SDK): vet, staticcheck, cross-builds and its tests against
# the kumo emulator in-process (67 modules; several minutes on a cold cache).
echo "== vault/awssm (nested module) against the kumo emulator"
(
  cd vault/awssm
  go vet ./...
  staticcheck ./...
  for target in windows/amd64 darwin/arm64; do GOOS=${target%/*} GOARCH=${target#*/} go vet ./...; done
  CGO_ENABLED=1 go test "${go_test_flags[@]}" ./...
)

# wine_test ARGS...: `go test ARGS` of the Windows build under Wine. A run
# whose binary never printed anything and exited with a bare status (Wine
# failing to start it; seen when another Wine client shared the prefix) is
# tried once more, with a warning; a test that ran and failed is not.
wine_test() {
  local out
  if out=$(PATH="$PWD/scripts/wine:$PATH" GOOS=windows GOARCH=amd64 go test -count=1 "$@" 2>&1); then
    echo "$out"; return 0
  fi
  if grep -qE '^(--- FAIL|panic:|=== RUN)|_test\.go:[0-9]+' <<<"$out" || ! grep -qE '^exit status [0-9]+$' <<<"$out"; then
    echo "$out"; return 1
  fi
  echo "   warning: Wine did not start the test binary ($(grep -E '^exit status' <<<"$out")); running it once more"
  PATH="$PWD/scripts/wine:$PATH" GOOS=windows GOARCH=amd64 go test -count=1 "$@"
}

if [ "${SKIP_WINE:-0}" != 1 ] && [ -x scripts/wine/test-windows.sh ]; then
  echo "== Windows adapter under Wine"
  scripts/wine/test-windows.sh
  echo "== vault engines on the Credential Manager under Wine"
  wine_test -run 'CredentialManager' ./vault/
  echo "== vault DPAPI file engine under Wine"
  wine_test ./vault/dpapi/
  # The CLI's Windows build on it: TestVaultDPAPIEngineUnderWine in cmd/moneypenny.
  # The file keyring's tests use t.TempDir, whose cleanup fails under Wine
  # (FACTS: os.RemoveAll); the ones that do not are run here.
  echo "== file keyring writes under Wine"
  wine_test -run 'TestRewriteInPlace' ./filekeyring/
fi
echo "== all tests passed"
