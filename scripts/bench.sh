#!/usr/bin/env bash
# Benchmarks: the Go benchmarks of the file keyring and the Secret Service
# client, then whole-process lookups of the moneypenny CLI against libsecret's
# secret-tool on the same 1,000-item file (internal/cmd/benchcli).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
go test -run='^$' -bench=. -benchmem ./filekeyring/ ./internal/gvariant/ ./dbusservice/ ./vault/
# moneypenny run resolving 20 vault:// references against one lookup (target: run/lookup <= 2)
go test -run='^$' -bench=Run20RefsVsLookup -benchtime=30x ./cmd/moneypenny/
# moneypenny serve beside gnome-keyring: secret-tool lookup (target <= 0.8x), service CPU per
# 100-secret GetSecrets (target <= 0.3x), start to name owned with 1,000 items (<= 50 ms), RSS
go test -run='^$' -bench=BenchmarkServe -benchtime=30x ./cmd/moneypenny/
go run ./internal/cmd/benchcli -items "${ITEMS:-1000}" -runs "${RUNS:-30}"
