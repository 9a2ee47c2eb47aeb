// Package hcvault is a vault.Engine that keeps an application's secrets in
// a KV version 2 mount of a HashiCorp Vault server: the engine for
// services that run where the operators already run Vault.
//
//	v, err := vault.Open(ctx, hcvault.Register()) // with MONEYPENNY_VAULT_ENGINE=hcvault
//
// or, configured in code:
//
//	e, err := hcvault.New(hcvault.Config{
//		Address: "https://vault.example.com:8200",
//		Token:   secret.New(token),
//		CAFile:  "/etc/ssl/vault-ca.pem",
//	})
//	v := vault.New(e)
//
// The CLI registers the engine: `moneypenny vault get --engine hcvault
// org/acme/openai_api_key`. FromEnv documents the variables
// (MONEYPENNY_VAULT_TOKEN, then VAULT_TOKEN, then the config file's
// "hcvault" object; VAULT_ADDR, VAULT_NAMESPACE, VAULT_CACERT, ...).
//
// # Layout
//
// Path org/acme/openai_api_key lives at <mount>/data/<prefix>/org/acme/openai_api_key
// (secret/data/moneypenny/... by default). Each version's data holds the
// value under "value" (UTF-8 text; other bytes go base64 in "value_base64")
// and the metadata as of that version (provider, expires_at, created_at,
// updated_at, RFC 3339); the key's custom_metadata holds the same metadata
// for the current version, tagged "moneypenny_version", so
// `vault kv get -field=value` and `vault kv metadata get` show what
// Moneypenny stored. Keys other tools add to custom_metadata are kept. A
// secret written by another tool (`vault kv put ... value=...`) reads back
// with the provider and expiry its custom_metadata has, if any.
//
// Writes are KV v2 check-and-set writes (options.cas): of two writers that
// read the same version, one succeeds and the other gets an error wrapping
// vault.ErrConflict, so neither update is lost (a Vault's Set re-reads and
// retries). Versions lists a secret's history and ReadVersion reads a past
// version with the metadata it had. Delete is KV v2's metadata delete: the
// secret, every version and its history are removed.
//
// A policy that lets the engine work grants, on the prefix:
//
//	path "secret/data/moneypenny/*"     { capabilities = ["create", "read", "update"] }
//	path "secret/metadata/moneypenny/*" { capabilities = ["create", "read", "update", "delete", "list"] }
//
// # Errors, timeouts, cache and health
//
// An answer of 403 is an error wrapping ErrPermissionDenied (and
// fs.ErrPermission) that says the token is expired or revoked or lacks a
// policy; a sealed server's 503 wraps ErrSealed and secret.ErrUnavailable;
// 404 wraps secret.ErrNotFound. Every request honours its context and, when
// the context has no deadline, Config.Timeout (30 s), so a server that hangs
// fails the call instead of the program. Values read are kept in memory for
// Config.CacheTTL (5 minutes; a negative TTL turns the cache off): the
// engine's own writes and deletes drop the cached copy, other writers' are
// seen when it expires. HealthCheck asks sys/health and checks the token;
// a failing check is reported, never fatal.
//
// # Why net/http, not github.com/hashicorp/vault/api
//
// The engine speaks KV v2's HTTP API with net/http and encoding/json. It
// adds nothing to the root module's go.mod. github.com/hashicorp/vault/api
// v1.22.0 would add 18 modules to the go.mod of every program that imports
// the library (go-retryablehttp, go-cleanhttp, go-multierror, go-rootcerts,
// go-secure-stdlib, go-sockaddr, hcl, mapstructure, go-jose, backoff,
// golang.org/x/net, x/text and x/time, ...; 51 modules in its graph) for a
// handful of JSON requests. It also decodes values into Go strings, which
// cannot be wiped, where this engine decodes them into byte slices it
// zeroes. The
// benchmarks in the test module compare an uncached Get with vault/api's
// KVv2.Get on the same server.
//
// # What is tested
//
// The tests run the real Vault core in-process (vault.NewTestCluster from
// github.com/hashicorp/vault v1.21.4, one core and a three-core cluster with
// standbys, over its HTTPS API with its own CA), in the nested module
// vault/hcvault/vaulttest, so that the library never requires the vault
// module (BUSL-1.1, 859 modules). They do not run against a `vault server`
// binary, which cannot be built here. Namespaces (Vault Enterprise) are
// tested only as far as the X-Vault-Namespace header being sent. OpenBao
// speaks the same KV v2 API but is untested.
package hcvault
