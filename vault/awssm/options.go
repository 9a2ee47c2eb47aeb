package awssm

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
	"github.com/moneypenny-go/keyring/vault/internal/ttlcache"
)

// DefaultPrefix starts every secret name unless WithPrefix says otherwise.
const DefaultPrefix = "moneypenny/"

// Option configures New.
type Option func(*options)

type options struct {
	region       string
	prefix       string
	endpoint     string
	awsConfig    *aws.Config
	httpClient   aws.HTTPClient
	recoveryDays int32
	forceDelete  bool
	cacheTTL     time.Duration
	now          func() time.Time
}

func defaultOptions() options {
	return options{prefix: DefaultPrefix, recoveryDays: 30, cacheTTL: ttlcache.DefaultTTL, now: time.Now}
}

// WithRegion sets the AWS region, overriding the SDK chain's (AWS_REGION,
// the profile's region).
func WithRegion(region string) Option { return func(o *options) { o.region = region } }

// WithPrefix starts every secret name with prefix ("" for none: the vault
// path is then the whole name, and List sees every secret of the account
// whose name is a valid vault path). It must consist of the characters
// Secrets Manager allows in names.
func WithPrefix(prefix string) Option { return func(o *options) { o.prefix = prefix } }

// WithEndpoint sends requests to url instead of the regional endpoint: a
// VPC endpoint, a FIPS endpoint, or an emulator.
func WithEndpoint(url string) Option { return func(o *options) { o.endpoint = url } }

// WithAWSConfig uses cfg (credentials, region, retries, HTTP client)
// instead of loading the SDK's default configuration.
func WithAWSConfig(cfg aws.Config) Option { return func(o *options) { o.awsConfig = &cfg } }

// WithHTTPClient sends requests through c (a proxy-aware or instrumented
// client) while the rest of the configuration still comes from the SDK's
// default chain.
func WithHTTPClient(c aws.HTTPClient) Option { return func(o *options) { o.httpClient = c } }

// WithRecoveryWindow sets how many days (7 to 30; default 30) a deleted
// secret stays recoverable.
func WithRecoveryWindow(days int) Option { return func(o *options) { o.recoveryDays = int32(days) } }

// WithForceDelete makes Delete remove secrets at once, without a recovery
// window (ForceDeleteWithoutRecovery). Their versions cannot be restored.
func WithForceDelete() Option { return func(o *options) { o.forceDelete = true } }

// WithCacheTTL sets how long Read results are cached (default five
// minutes); zero or less turns the cache off.
func WithCacheTTL(d time.Duration) Option { return func(o *options) { o.cacheTTL = d } }

// WithClock replaces time.Now for the cache's expiry.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

func (o *options) validate() error {
	if o.recoveryDays < 7 || o.recoveryDays > 30 {
		return fmt.Errorf("awssm: recovery window of %d days: Secrets Manager allows 7 to 30: %w", o.recoveryDays, secret.ErrInvalidArgument)
	}
	for i := 0; i < len(o.prefix); i++ {
		if !nameByte(o.prefix[i]) {
			return fmt.Errorf("awssm: prefix %q: secret names allow only letters, digits and /_+=.@-: %w", o.prefix, secret.ErrInvalidArgument)
		}
	}
	if len(o.prefix) > 256 {
		return fmt.Errorf("awssm: prefix of %d bytes is too long (secret names hold 512): %w", len(o.prefix), secret.ErrInvalidArgument)
	}
	return nil
}

// nameByte reports whether c may appear in a secret name.
func nameByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c == '/' || c == '_' || c == '+' || c == '=' || c == '.' || c == '@' || c == '-'
}

var _ vault.Engine = (*Engine)(nil)
var _ vault.HealthChecker = (*Engine)(nil)

// DefaultCacheTTL is how long Read results are cached unless WithCacheTTL
// says otherwise.
const DefaultCacheTTL = ttlcache.DefaultTTL
