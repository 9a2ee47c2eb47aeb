// Package vault keeps an application's named secrets: API keys, signing
// keys, webhook secrets and tokens, addressed by scope and name, with
// metadata and expiry, in the OS keyring or wherever the application runs.
//
// The keyring layer (package keyring) is attribute-addressed items, the
// shape desktop apps and libsecret need. Agent platforms, CLIs and servers
// want another shape, and this package provides it:
//
//	v, err := vault.Open(ctx)             // engine: flag > env > config > OS keyring
//	if err != nil { ... }
//	defer v.Close()
//	p := vault.MustParsePath("org/acme/openai_api_key")
//	err = v.Set(ctx, p, secret.New(key), vault.WithProvider("openai"), vault.ExpiresIn(90*24*time.Hour))
//	s, err := v.GetWithFallback(ctx, "openai_api_key", vault.ProjectScope("p1"), vault.OrgScope("acme"), vault.GlobalScope)
//	defer s.Wipe()
//	cfg, err := v.Expand(ctx, []byte(`api_key = "vault://org/acme/openai_api_key"`))
//
// # Paths
//
// A path is a scope of one or more segments and a name: global/jwt_signing_key,
// org/acme/openai_api_key, project/p1/webhook_secret, user/u1/personal_token
// (Global, Org, Project and User build these) or any hierarchy,
// plugins/github/token. Every segment is 1 to 128 bytes of [A-Za-z0-9._-],
// and "." and ".." are refused, so a path is safe as a file name, a URL
// path, an attribute value and (mapped) an environment variable. A
// reference, vault://org/acme/openai_api_key, names a path in text; Parse
// and Ref.String round-trip it.
//
// # Values and metadata
//
// Values are *secret.Value: bytes that print as [REDACTED] and that the
// caller wipes. A Vault refuses values over 64 KiB (WithMaxValueSize) with
// secret.ErrTooLarge. Each secret carries a provider, an optional expiry and
// its creation and update times. Get of an expired secret fails with an
// error wrapping ErrExpired and never deletes it; Set keeps created_at when
// it overwrites; UpdateValue replaces only the value.
//
// # Engines
//
// A Vault keeps its records in an Engine. This package has three, each
// usable alone:
//
//   - the keyring engine (NewKeyringEngine): one keyring item per secret on
//     any backend (Secret Service, file, keyctl, Keychain, Credential
//     Manager), in the schema KeyringSchema documents, so secret-tool and
//     Seahorse see them;
//   - the single-entry engine (OpenSingleEntry): every secret of an app in
//     one item, read once and served from memory, written whole;
//   - the env engine (NewEnvEngine): read-only, from MONEYPENNY_SECRET_*
//     variables, for containers.
//
// Remote engines (HashiCorp Vault, AWS Secrets Manager) implement the same
// interface in packages of their own and are chosen by name through
// WithEngineFactory. Writes that keep metadata are read-modify-write with a
// Condition, so an engine with check-and-set never loses a concurrent update:
// a lost race is ErrConflict.
package vault
