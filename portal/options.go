package portal

import "time"

// Option configures Version, RetrieveSecret and NewClient.
type Option func(*options)

type options struct {
	address string        // bus address; "" means $DBUS_SESSION_BUS_ADDRESS
	timeout time.Duration // bound on one whole RetrieveSecret, on top of ctx
}

// DefaultTimeout bounds one RetrieveSecret when the caller's context has no
// earlier deadline. The portal itself gives its backend no timeout at all,
// and a backend may show an unlock dialog, so the bound is generous; it exists
// so that a wedged portal can never hang a program forever.
const DefaultTimeout = 2 * time.Minute

func newOptions(opts []Option) options {
	o := options{timeout: DefaultTimeout}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// WithAddress sets the D-Bus address of the session bus the portal is on. An
// empty address means $DBUS_SESSION_BUS_ADDRESS. A bus is never autolaunched.
func WithAddress(addr string) Option {
	return func(o *options) { o.address = addr }
}

// WithTimeout replaces DefaultTimeout; d <= 0 leaves only the caller's
// context in charge.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}
