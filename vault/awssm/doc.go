// Package awssm is a vault.Engine on AWS Secrets Manager: one secret per
// vault path, for applications whose operators already keep their secrets
// there. It lives in a module of its own
// (github.com/moneypenny-go/keyring/vault/awssm) so that the keyring
// module never requires the AWS SDK.
//
//	e, err := awssm.New(ctx, awssm.WithRegion("eu-west-1"), awssm.WithPrefix("myapp/"))
//	if err != nil { ... }
//	v := vault.New(e)
//	defer v.Close()
//	key, err := v.GetValue(ctx, vault.MustParsePath("org/acme/openai_api_key"))
//
// or, to let vault.Open choose it by name (MONEYPENNY_VAULT_ENGINE=aws-secrets-manager,
// or "engine" in the config file, with its settings under "vault": {"aws-secrets-manager": {...}}):
//
//	v, err := vault.Open(ctx, awssm.Register())
//
// The moneypenny command is built from the keyring module alone and so
// does not know this engine; an application that wants it on its own
// command line registers the factory as above.
//
// # Names, values and metadata
//
// The secret for path org/acme/openai_api_key is named
// <prefix>org/acme/openai_api_key (prefix "moneypenny/" unless WithPrefix
// says otherwise; vault path characters are all valid in secret names).
// Credentials and region come from the SDK's default chain (environment,
// shared config and credentials files, SSO, web identity, ECS and EC2
// roles) unless WithAWSConfig supplies a configuration.
//
// Each version's SecretString is a JSON object holding the value and its
// metadata, so that a version read back (the previous one included) is
// whole:
//
//	{"moneypenny_vault":1,"value":"...","provider":"openai","expires_at":"...","created_at":"...","updated_at":"...","version":"..."}
//
// A value that is not valid UTF-8 is stored as "value_base64" instead.
// The secret's Description carries a copy of the metadata (prefixed
// "moneypenny-vault "), so that Stat and List answer from DescribeSecret
// and ListSecrets without reading any value. Tags are not used (the
// emulator the tests run against has no TagResource). A secret at the
// prefix that another tool wrote as a plain string or binary is read as
// that value without metadata; writing to it adds a version in this
// format (and replaces the secret's Description), and the earlier value
// stays readable as the previous version.
//
// Secrets Manager holds at most 65536 bytes per version: a value whose
// record would be larger is refused with secret.ErrTooLarge. Values up to
// MaxValueSize bytes always fit; text values up to about 64 KiB do.
//
// # Writes, conflicts and versions
//
// Record.Version is the AWSCURRENT version ID. A conditional write checks
// the current version (DescribeSecret) and then writes with a
// ClientRequestToken derived from that version, so two writers that start
// from the same version ask for the same new version ID: Secrets Manager
// refuses a reused token with different content, and the second writer
// gets vault.ErrConflict instead of overwriting the first. A create of a
// secret that appeared meanwhile is a conflict too (ResourceExistsException).
// ReadPrevious reads the AWSPREVIOUS version; ReadVersion any version ID.
//
// Delete schedules the deletion with a recovery window (30 days unless
// WithRecoveryWindow says otherwise, 7 to 30) or, with WithForceDelete,
// deletes at once. A secret scheduled for deletion reads as
// secret.ErrNotFound; writing to its path again restores it
// (RestoreSecret) and adds a version.
//
// # Cache and health
//
// Read results are cached for five minutes (WithCacheTTL; 0 turns the
// cache off): a process sees its own writes and deletes at once, and other
// writers' within the TTL. Cached values are copies, wiped when they are
// evicted and on Close. Stat and List are never cached, so conditional
// writes always start from the service's state. HealthCheck makes one
// ListSecrets call; a failing check is information, not a reason to stop.
//
// # What is tested where
//
// The tests run the engine against the kumo emulator
// (github.com/sivchari/kumo) in-process, never against AWS itself. Tested
// against the emulator: CreateSecret, GetSecretValue (AWSCURRENT,
// AWSPREVIOUS, by version ID), UpdateSecret, DescribeSecret, ListSecrets,
// DeleteSecret (with a recovery window and without recovery), and the
// ResourceNotFoundException and ResourceExistsException errors. Not tested
// anywhere: RestoreSecret (kumo lacks it), the refusal of a reused
// ClientRequestToken (kumo accepts it and overwrites the version, so the
// token half of the conflict check is untested; the DescribeSecret check
// before each write is tested), DescribeSecret's VersionIdsToStages (kumo
// omits it; the engine then falls back on the version recorded in the
// Description), the case-sensitive name filter of ListSecrets (kumo
// ignores filters; the engine filters again itself), KMS keys, IAM
// permission errors, and replication.
package awssm
