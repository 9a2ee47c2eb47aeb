#!/usr/bin/env bash
# Benchmarks: the Go benchmarks of the file keyring and the Secret Service
# client, then whole-process lookups of the moneypenny CLI against libsecret's
# secret-tool on the same 1,000-item file (internal/cmd/benchcli).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
go test -run='^$' -bench=. -benchmem ./filekeyring/ ./internal/gvariant/ ./dbusservice/
go run ./internal/cmd/benchcli -items "${ITEMS:-1000}" -runs "${RUNS:-30}"
