package darwin

// Option configures Open.
type Option func(*config)

type config struct {
	accessGroup string
	api         secAPI // nil: the Security framework (tests set a model)
}

// WithAccessGroup stores and searches items in a keychain access group
// (kSecAttrAccessGroup), for applications that share items. The program
// must be signed with the matching keychain-access-groups entitlement.
func WithAccessGroup(group string) Option {
	return func(c *config) { c.accessGroup = group }
}
