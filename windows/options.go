package windows

// Option configures Open.
type Option func(*config)

type config struct {
	prefix string
	api    credAPI // nil: advapi32 (set by tests to an in-memory store)
}

// WithTargetPrefix replaces DefaultTargetPrefix, for programs that want their
// credentials in a namespace of their own. The prefix must be 1 to 64
// lower-case ASCII characters (target names compare case-insensitively)
// without '*', '!', '#', '$' or '%'. Items stored under one prefix are invisible
// to a Keyring opened with another (go-keyring credentials excepted).
func WithTargetPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}
