package dbusservice

import (
	"context"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dhsession"
	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// fakeService is a scripted Secret Service on a private bus, exported with
// godbus, for what gnome-keyring cannot be made to do: refuse DH, leave a
// prompt hanging, vanish mid-prompt, or answer with the wrong types.
//
// It serves one collection (fakeColl) holding one item (fakeItem) whose
// secret is fakeSecret, and a prompt object (fakePrompt). Every method can be
// replaced through overrides, keyed "Interface.Method" with the short
// interface name (for example "Service.ReadAlias", "Properties.Get"); the
// overrides function receives the fake so replacements can emit signals.
type fakeService struct {
	t    *testing.T
	bus  *testpeer.Bus
	conn *dbus.Conn

	// dh enables the DH algorithm; without it OpenSession answers
	// NotSupported for anything but plain.
	dh bool

	mu        sync.Mutex
	calls     []string
	cipher    *dhsession.Cipher // the DH session's, once opened
	received  []wireSecret      // secrets sent to CreateItem / SetSecret
	clientPub []byte            // the client's DH public key as sent
	dismissed chan dbus.ObjectPath
}

const (
	fakeColl    = dbus.ObjectPath(collectionPfx + "fake")
	fakeItem    = fakeColl + "/1"
	fakePrompt  = dbus.ObjectPath("/org/freedesktop/secrets/prompt/p1")
	fakeSession = dbus.ObjectPath("/org/freedesktop/secrets/session/s1")
	fakeSecret  = "fake secret ✓"
)

// fakeServerExponent is the service's private exponent: 0x432, the spec's
// known-answer vector, whose public key is only 126 bytes once minimally
// encoded, so every DH test also exercises short peer keys.
const fakeServerExponent = 0x432

func startFake(t *testing.T, dh bool, overrides func(f *fakeService) map[string]any) *fakeService {
	t.Helper()
	bus := testpeer.NewBus(t)
	conn, err := dbus.Connect(bus.Address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	f := &fakeService{t: t, bus: bus, conn: conn, dh: dh, dismissed: make(chan dbus.ObjectPath, 4)}

	tables := map[dbus.ObjectPath]map[string]map[string]any{
		servicePath: {
			ifaceService: {
				"OpenSession": f.openSession,
				"ReadAlias":   func(name string) (dbus.ObjectPath, *dbus.Error) { f.note("ReadAlias"); return fakeColl, nil },
				"SetAlias":    func(string, dbus.ObjectPath) *dbus.Error { f.note("SetAlias"); return nil },
				"SearchItems": func(map[string]string) ([]dbus.ObjectPath, []dbus.ObjectPath, *dbus.Error) {
					return []dbus.ObjectPath{fakeItem}, []dbus.ObjectPath{}, nil
				},
				"Unlock": func(p []dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
					f.note("Unlock")
					return []dbus.ObjectPath{}, fakePrompt, nil
				},
				"Lock":       func(p []dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) { return p, noObject, nil },
				"GetSecrets": f.getSecrets,
				"CreateCollection": func(map[string]dbus.Variant, string) (dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
					return noObject, fakePrompt, nil
				},
			},
			ifaceProperties: {"Get": f.getProperty},
		},
		fakeColl: {
			ifaceCollection: {
				"CreateItem":  f.createItem,
				"SearchItems": func(map[string]string) ([]dbus.ObjectPath, *dbus.Error) { return []dbus.ObjectPath{fakeItem}, nil },
				"Delete":      func() (dbus.ObjectPath, *dbus.Error) { return noObject, nil },
			},
			ifaceProperties: {"Get": f.getProperty},
		},
		fakeItem: {
			ifaceItem: {
				"GetSecret": f.getSecret,
				"SetSecret": func(ws wireSecret) *dbus.Error { f.keep(ws); return nil },
				"Delete":    func() (dbus.ObjectPath, *dbus.Error) { return noObject, nil },
			},
			ifaceProperties: {"Get": f.getProperty},
		},
		fakePrompt: {
			ifacePrompt: {
				"Prompt":  func(window string) *dbus.Error { f.note("Prompt " + window); return nil },
				"Dismiss": func() *dbus.Error { f.note("Dismiss"); f.dismissed <- fakePrompt; return nil },
			},
		},
		fakeSession: {ifaceSession: {"Close": func() *dbus.Error { f.note("Session.Close"); return nil }}},
	}
	short := map[string]string{ifaceService: "Service", ifaceCollection: "Collection", ifaceItem: "Item",
		ifacePrompt: "Prompt", ifaceSession: "Session", ifaceProperties: "Properties"}
	var over map[string]any
	if overrides != nil {
		over = overrides(f)
	}
	for key, fn := range over {
		found := false
		for _, ifaces := range tables {
			for iface, methods := range ifaces {
				if prefix := short[iface] + "."; len(key) > len(prefix) && key[:len(prefix)] == prefix {
					if _, ok := methods[key[len(prefix):]]; ok {
						methods[key[len(prefix):]] = fn
						found = true
					}
				}
			}
		}
		if !found {
			t.Fatalf("fake: no method %s to override", key)
		}
	}
	for path, ifaces := range tables {
		for iface, methods := range ifaces {
			if err := conn.ExportMethodTable(methods, path, iface); err != nil {
				t.Fatal(err)
			}
		}
	}
	// As gnome-keyring-daemon does, so that --replace can take over.
	reply, err := conn.RequestName(busName, dbus.NameFlagAllowReplacement|dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("fake: own %s: %v %v", busName, reply, err)
	}
	return f
}

// note records a call.
func (f *fakeService) note(call string) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
}

func (f *fakeService) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// seen returns what the fake received, under its lock.
func (f *fakeService) seen() (received []wireSecret, clientPub []byte, c *dhsession.Cipher) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]wireSecret(nil), f.received...), f.clientPub, f.cipher
}

func (f *fakeService) keep(ws wireSecret) {
	f.mu.Lock()
	f.received = append(f.received, ws)
	f.mu.Unlock()
}

func (f *fakeService) openSession(alg string, input dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
	f.note("OpenSession " + alg)
	switch {
	case alg == algorithmPlain:
		return dbus.MakeVariant(""), fakeSession, nil
	case alg == dhsession.Algorithm && f.dh:
		pub, ok := input.Value().([]byte)
		if !ok {
			return dbus.Variant{}, "", dbus.NewError(errInvalidArgs, []any{"input must be ay"})
		}
		key, _ := dhsession.NewPrivateKey(dhsession.Oakley1024(), big.NewInt(fakeServerExponent))
		aes, err := key.SharedKey(pub)
		if err != nil {
			return dbus.Variant{}, "", dbus.NewError(errInvalidArgs, []any{err.Error()})
		}
		c, _ := dhsession.NewCipher(aes)
		f.mu.Lock()
		f.cipher, f.clientPub = c, append([]byte(nil), pub...)
		f.mu.Unlock()
		// Minimal encoding, as gnome-keyring sends it: 126 bytes here.
		minimal := new(big.Int).SetBytes(key.PublicKey()).Bytes()
		return dbus.MakeVariant(minimal), fakeSession, nil
	}
	return dbus.Variant{}, "", dbus.NewError(errNotSupported, []any{"Algorithm not supported: " + alg})
}

// badCiphertext returns two blocks that do not decrypt to valid PKCS#7
// padding under the session key (with a zero IV). Fixed bytes would decrypt
// to valid padding under about one session key in 256, and the test
// expecting a padding error would then fail at random.
func (f *fakeService) badCiphertext() []byte {
	f.mu.Lock()
	c := f.cipher
	f.mu.Unlock()
	// The last plaintext byte, which names the padding length, is the
	// last byte of the first block XOR a fixed value: one of its 256
	// values makes it 0, which is never valid padding.
	ct := make([]byte, 32)
	for i := range 256 {
		ct[15] = byte(i)
		if _, err := c.Decrypt(make([]byte, 16), ct); err != nil {
			return ct
		}
	}
	panic("unreachable: some first block gives a last plaintext byte of 0")
}

// encode is the service side of the Secret struct.
func (f *fakeService) encode(plain string) wireSecret {
	f.mu.Lock()
	c := f.cipher
	f.mu.Unlock()
	ws := wireSecret{Session: fakeSession, Parameters: []byte{}, Value: []byte(plain), ContentType: "text/plain"}
	if c != nil {
		ws.Parameters, ws.Value, _ = c.Encrypt(nil, []byte(plain))
	}
	return ws
}

func (f *fakeService) getSecret(session dbus.ObjectPath) (wireSecret, *dbus.Error) {
	return f.encode(fakeSecret), nil
}

func (f *fakeService) getSecrets(items []dbus.ObjectPath, session dbus.ObjectPath) (map[dbus.ObjectPath]wireSecret, *dbus.Error) {
	out := map[dbus.ObjectPath]wireSecret{}
	for _, p := range items {
		if p == fakeItem {
			out[p] = f.encode(fakeSecret)
		}
	}
	return out, nil
}

func (f *fakeService) createItem(props map[string]dbus.Variant, ws wireSecret, replace bool) (dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	f.keep(ws)
	return fakeItem, noObject, nil
}

func (f *fakeService) getProperty(iface, name string) (dbus.Variant, *dbus.Error) {
	switch name {
	case "Label":
		return dbus.MakeVariant("Fake"), nil
	case "Locked":
		return dbus.MakeVariant(false), nil
	case "Created", "Modified":
		return dbus.MakeVariant(uint64(1700000000)), nil
	case "Items":
		return dbus.MakeVariant([]dbus.ObjectPath{fakeItem}), nil
	case "Collections":
		return dbus.MakeVariant([]dbus.ObjectPath{fakeColl}), nil
	case "Attributes":
		return dbus.MakeVariant(map[string]string{"fake": "1"}), nil
	}
	return dbus.Variant{}, dbus.NewError(errInvalidArgs, []any{"no property " + name})
}

// complete emits the prompt's Completed signal.
func (f *fakeService) complete(dismissed bool, result any) {
	if err := f.conn.Emit(fakePrompt, ifacePrompt+".Completed", dismissed, dbus.MakeVariant(result)); err != nil {
		f.t.Errorf("fake: emit Completed: %v", err)
	}
}

// replace starts a second service process that takes the name over, the way
// gnome-keyring-daemon --replace does, and returns its connection. It
// exports nothing: it knows none of the first one's objects.
func (f *fakeService) replace() *dbus.Conn {
	f.t.Helper()
	conn, err := dbus.Connect(f.bus.Address)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = conn.Close() })
	reply, err := conn.RequestName(busName, dbus.NameFlagReplaceExisting|dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		f.t.Fatalf("fake: take over %s: %v %v", busName, reply, err)
	}
	return conn
}

// connect opens a client on the fake's bus.
func (f *fakeService) connect(ctx context.Context, opts ...Option) (*Service, error) {
	s, err := Connect(ctx, append([]Option{WithAddress(f.bus.Address)}, opts...)...)
	if err == nil {
		f.t.Cleanup(func() { _ = s.Close() })
	}
	return s, err
}

func (f *fakeService) mustConnect(opts ...Option) *Service {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := f.connect(ctx, opts...)
	if err != nil {
		f.t.Fatalf("Connect to the fake: %v", err)
	}
	return s
}
