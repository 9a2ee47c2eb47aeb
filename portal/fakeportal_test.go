package portal

import (
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// fakePortal is a stand-in for xdg-desktop-portal on a private bus. It owns
// org.freedesktop.portal.Desktop on a connection of its own and implements
// what FACTS.md measured of the real one: Properties.Get of the Secret
// interface's version, RetrieveSecret(h, a{sv}) -> o with the predictable
// request path, the secret written to the passed fd which is then closed, and
// Response(u, a{sv}) sent as a unicast signal to the caller. How it answers is
// set per test through behaviour.
type fakePortal struct {
	t    *testing.T
	bus  *testpeer.Bus
	conn *dbus.Conn

	mu       sync.Mutex
	b        behaviour
	calls    int
	handles  []dbus.ObjectPath // returned by RetrieveSecret
	closed   []dbus.ObjectPath // Request.Close received
	held     []*os.File        // fds kept open by never-answering requests
	release  chan struct{}     // unblocks calls that never reply
	released bool
}

// behaviour says how the fake answers RetrieveSecret.
type behaviour struct {
	version     uint32
	noSecret    bool   // no org.freedesktop.portal.Secret interface at all
	response    uint32 // Response code
	data        []byte // written to the fd before Response
	never       bool   // reply with a handle but never send Response
	blockCall   bool   // never even reply to the method call
	pathSuffix  string // returned handle = predicted + suffix (predicted taken)
	decoy       bool   // also send a Response 2 on the predicted path
	beforeReply bool   // send Response before the method returns
	broadcast   bool   // send Response without a destination
}

var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

func newFakePortal(t *testing.T, b behaviour) *fakePortal {
	t.Helper()
	bus := testpeer.NewBus(t)
	conn, err := dbus.Connect(bus.Address)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePortal{t: t, bus: bus, conn: conn, b: b, release: make(chan struct{})}
	t.Cleanup(f.stop)
	if !b.noSecret {
		if err := conn.Export(secretIface{f}, objectPath, ifaceSecret); err != nil {
			t.Fatal(err)
		}
	}
	if err := conn.Export(propsIface{f}, objectPath, ifaceProps); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(busName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName: %v %v", reply, err)
	}
	return f
}

func (f *fakePortal) stop() {
	f.mu.Lock()
	if !f.released {
		close(f.release)
		f.released = true
	}
	for _, h := range f.held {
		_ = h.Close()
	}
	f.held = nil
	f.mu.Unlock()
	_ = f.conn.Close()
}

func (f *fakePortal) behaviour() behaviour {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.b
}

func (f *fakePortal) setBehaviour(b behaviour) {
	f.mu.Lock()
	f.b = b
	f.mu.Unlock()
}

func (f *fakePortal) stats() (calls int, handles, closed []dbus.ObjectPath) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, append([]dbus.ObjectPath(nil), f.handles...), append([]dbus.ObjectPath(nil), f.closed...)
}

// respond sends Response on path: unicast to dest as xdg-desktop-portal does,
// or broadcast.
func (f *fakePortal) respond(path dbus.ObjectPath, dest string, code uint32, broadcast bool) {
	msg := &dbus.Message{
		Type: dbus.TypeSignal,
		Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldPath:      dbus.MakeVariant(path),
			dbus.FieldInterface: dbus.MakeVariant(ifaceRequest),
			dbus.FieldMember:    dbus.MakeVariant("Response"),
		},
		Body: []any{code, map[string]dbus.Variant{}},
	}
	msg.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(msg.Body...))
	if !broadcast {
		msg.Headers[dbus.FieldDestination] = dbus.MakeVariant(dest)
	}
	if call := f.conn.Send(msg, nil); call.Err != nil {
		f.t.Errorf("fake portal: send Response: %v", call.Err)
	}
}

type secretIface struct{ f *fakePortal }

// RetrieveSecret implements org.freedesktop.portal.Secret.RetrieveSecret.
func (s secretIface) RetrieveSecret(sender dbus.Sender, fd dbus.UnixFD, options map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	f := s.f
	b := f.behaviour()
	file := os.NewFile(uintptr(fd), "secret-fd")
	token, _ := options["handle_token"].Value().(string)
	if !tokenRE.MatchString(token) {
		_ = file.Close()
		return "", dbus.NewError("org.freedesktop.portal.Error.InvalidArgument", []any{"Invalid token"})
	}
	// The rule the portal itself applies, written out here independently of
	// the code under test.
	predicted := dbus.ObjectPath("/org/freedesktop/portal/desktop/request/" +
		strings.ReplaceAll(strings.TrimPrefix(string(sender), ":"), ".", "_") + "/" + token)
	handle := predicted + dbus.ObjectPath(b.pathSuffix)
	if err := f.conn.Export(requestIface{f, handle}, handle, ifaceRequest); err != nil {
		f.t.Errorf("fake portal: export request: %v", err)
	}
	f.mu.Lock()
	f.calls++
	f.handles = append(f.handles, handle)
	f.mu.Unlock()

	if b.blockCall {
		f.mu.Lock()
		f.held = append(f.held, file)
		f.mu.Unlock()
		<-f.release
		return "", dbus.NewError("org.freedesktop.DBus.Error.Failed", []any{"test over"})
	}
	finish := func() {
		if b.decoy {
			f.respond(predicted, string(sender), responseOther, false)
		}
		if b.never {
			f.mu.Lock()
			f.held = append(f.held, file)
			f.mu.Unlock()
			return
		}
		if b.data != nil {
			// Writing proves that we were given the pipe's write end.
			if _, err := file.Write(b.data); err != nil {
				f.t.Errorf("fake portal: write secret: %v", err)
			}
		}
		_ = file.Close()
		f.respond(handle, string(sender), b.response, b.broadcast)
	}
	if b.beforeReply {
		finish()
	} else {
		go finish()
	}
	return handle, nil
}

type requestIface struct {
	f    *fakePortal
	path dbus.ObjectPath
}

// Close implements org.freedesktop.portal.Request.Close.
func (r requestIface) Close() *dbus.Error {
	r.f.mu.Lock()
	r.f.closed = append(r.f.closed, r.path)
	r.f.mu.Unlock()
	_ = r.f.conn.Export(nil, r.path, ifaceRequest)
	return nil
}

type propsIface struct{ f *fakePortal }

// Get answers like GDBus: InvalidArgs for an unknown interface or property.
func (p propsIface) Get(iface, name string) (dbus.Variant, *dbus.Error) {
	b := p.f.behaviour()
	if iface != ifaceSecret || b.noSecret {
		return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.InvalidArgs", []any{"No such interface “" + iface + "”"})
	}
	if name != "version" {
		return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.InvalidArgs", []any{"No such property “" + name + "”"})
	}
	return dbus.MakeVariant(b.version), nil
}

// GetAll returns the Secret interface's properties.
func (p propsIface) GetAll(iface string) (map[string]dbus.Variant, *dbus.Error) {
	v, err := p.Get(iface, "version")
	if err != nil {
		return nil, err
	}
	return map[string]dbus.Variant{"version": v}, nil
}

// Set refuses: version is read-only.
func (p propsIface) Set(iface, name string, v dbus.Variant) *dbus.Error {
	return dbus.NewError("org.freedesktop.DBus.Error.PropertyReadOnly", []any{name})
}
