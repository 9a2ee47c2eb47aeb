package dbusservice

// Option configures Connect and OpenCollection.
type Option func(*options)

type options struct {
	address    string
	windowID   string
	autoUnlock bool
	plain      bool
}

func defaultOptions() options { return options{autoUnlock: true} }

// WithAddress connects to the bus at addr (a D-Bus address such as
// "unix:path=/run/user/1000/bus"). The empty string, the default, means
// $DBUS_SESSION_BUS_ADDRESS. No bus is ever autolaunched: an autolaunch:
// address, like no address at all, makes Connect fail with
// secret.ErrUnavailable.
func WithAddress(addr string) Option { return func(o *options) { o.address = addr } }

// WithWindowID is the window identifier passed to Prompt, so the service can
// place its dialog above the application's window ("x11:0x…",
// "wayland:<handle>" or an X11 id in decimal, as libsecret sends it). The
// default is "", no parent window.
func WithWindowID(id string) Option { return func(o *options) { o.windowID = id } }

// WithAutoUnlock decides what happens when the service refuses an operation
// because a collection or item is locked. On (the default), the client asks
// the service to unlock it, which may show a prompt that the operation's
// context bounds, and retries once. Off, the operation fails with
// secret.ErrLocked and the caller decides.
func WithAutoUnlock(on bool) Option { return func(o *options) { o.autoUnlock = on } }

// WithPlainSession sends secrets unencrypted ("plain" algorithm) instead of
// negotiating the DH/AES session. Only for services or debugging setups that
// need it: without this option, plain is used only when the service answers
// NotSupported to the encrypted algorithm.
func WithPlainSession() Option { return func(o *options) { o.plain = true } }
