#!/usr/bin/env bash
# Benchmarks: the Go benchmarks of the file keyring and the Secret Service
# client, then whole-process lookups of the moneypenny CLI against libsecret's
# secret-tool on the same 1,000-item file (internal/cmd/benchcli).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
go test -run='^$' -bench=. -benchmem ./filekeyring/ ./internal/gvariant/ ./dbusservice/ ./vault/
# moneypenny run resolving 20 vault:// references against one lookup (target: run/lookup <= 2)
go test -run='^$' -bench=Run20RefsVsLookup -benchtime=30x ./cmd/moneypenny/
go run ./internal/cmd/benchcli -items "${ITEMS:-1000}" -runs "${RUNS:-30}"
