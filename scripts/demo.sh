#!/usr/bin/env bash
# The main job, on any machine with Go and no daemon: build the moneypenny
# CLI, store a secret in the encrypted file keyring (libsecret's format), look
# it up again, search and list it, and clear it.
#
# The keyring lives in a temporary directory unless MONEYPENNY_KEYRING names
# a file; the demo password is for the demo only: real use reads it from
# MONEYPENNY_PASSWORD, --password-fd or a terminal prompt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/moneypenny" ./cmd/moneypenny
export MONEYPENNY_BACKEND=file
export MONEYPENNY_KEYRING="${MONEYPENNY_KEYRING:-$work/demo.keyring}"
export MONEYPENNY_PASSWORD="${MONEYPENNY_PASSWORD:-demo password}"
export MONEYPENNY_UNLOCK_CACHE=0
mp="$work/moneypenny"

echo "\$ printf 'ghp_demo-token' | moneypenny store --label='GitHub token' service github.com username alice"
printf 'ghp_demo-token' | "$mp" store --label='GitHub token' service github.com username alice
echo "\$ moneypenny lookup service github.com username alice"
"$mp" lookup service github.com username alice; echo
echo "\$ moneypenny search --all service github.com"
"$mp" search --all service github.com 2>&1
echo "\$ moneypenny list --json"
"$mp" list --json
echo "\$ moneypenny clear service github.com username alice"
"$mp" clear service github.com username alice
echo "\$ moneypenny lookup service github.com username alice   # nothing left: exit 1"
if "$mp" lookup service github.com username alice; then echo "unexpected: still found" >&2; exit 1; fi
echo "(exit 1, as secret-tool)"
echo "keyring file: $MONEYPENNY_KEYRING ($(stat -c %s "$MONEYPENNY_KEYRING") bytes, mode $(stat -c %a "$MONEYPENNY_KEYRING"))"
