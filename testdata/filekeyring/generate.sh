#!/bin/bash
# generate.sh — regenerate libsecret-v1.keyring, the file-keyring fixture of
# filekeyring and the CLI tests, with libsecret's own file backend
# (secret-tool, SECRET_BACKEND=file). No D-Bus is involved.
#
# Needs: secret-tool (Debian: libsecret-tools).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

export SECRET_BACKEND=file
export SECRET_FILE_TEST_PATH="$dir/default.keyring"
export SECRET_FILE_TEST_PASSWORD='moneypenny-v1'

printf '%s' 'ghp_v1EXAMPLE0123456789' |
	secret-tool store --label='GitHub token for alice' service github.com username alice
printf '%s' 'p@ss w0rd! ünïcødé' |
	secret-tool store --label='Postgres (prod) — bob' service db.example.org user bob port 5432
printf 'line one\nline two\n\ttabbed\n' |
	secret-tool store --label='Multi-line note' application moneypenny-fixture kind multiline
# A replace: same attribute set, new secret; libsecret keeps one item.
printf '%s' 'ghp_v1REPLACED0123456789' |
	secret-tool store --label='GitHub token for alice' service github.com username alice

cp "$SECRET_FILE_TEST_PATH" "$here/libsecret-v1.keyring"
chmod 644 "$here/libsecret-v1.keyring"
echo "wrote $here/libsecret-v1.keyring"
