// Package vaulttest tests package hcvault against the real HashiCorp Vault
// core, started in-process with vault.NewTestCluster (one core, and three
// cores with standbys), over its HTTPS API with the cluster's own CA.
//
// It is a module of its own so that the library never requires
// github.com/hashicorp/vault (BUSL-1.1, 859 modules): run its tests from
// this directory, `go test -race ./...` (scripts/test.sh does). A cold
// build downloads about 466 MiB and takes minutes and over 3 GB of memory.
// The tests run against the core, not against a `vault server` binary;
// OpenBao is untested.
package vaulttest
