package provider

import (
	"testing"

	"github.com/godbus/dbus/v5"
)

// TestSessionClose: Session.Close ends a session for good: its secrets are
// refused with NoSession afterwards, a second Close and another
// connection's Close find no such object, and the server keeps no trace.
func TestSessionClose(t *testing.T) {
	s := serve(t, nil, Options{})
	c, other := s.client(t), s.client(t)
	r := openRawDH(t, c, true)
	var item, prompt dbus.ObjectPath
	must(t, call(t, c, collectionBase+"login", ifaceCollection+".CreateItem",
		newItemProps("c", map[string]string{"c": "1"}), r.encode(t, "x"), false).Store(&item, &prompt))
	if err := call(t, other, r.path, ifaceSession+".Close").Err; dbusErrName(err) != ErrorNoSuchObject {
		t.Fatalf("another connection's Close: %v, want NoSuchObject", err)
	}
	must(t, call(t, c, r.path, ifaceSession+".Close").Err)
	if n, _ := s.srv.counts(); n != 0 {
		t.Fatalf("%d sessions after Close", n)
	}
	if err := call(t, c, item, ifaceItem+".GetSecret", r.path).Err; dbusErrName(err) != ErrorNoSession {
		t.Errorf("GetSecret with a closed session: %v, want NoSession", err)
	}
	var secrets map[dbus.ObjectPath]wireSecret
	if err := call(t, c, servicePath, ifaceService+".GetSecrets", []dbus.ObjectPath{item}, r.path).Store(&secrets); dbusErrName(err) != ErrorNoSession {
		t.Errorf("GetSecrets with a closed session: %v, want NoSession", err)
	}
	if err := call(t, c, collectionBase+"login", ifaceCollection+".CreateItem",
		newItemProps("d", map[string]string{"c": "2"}), r.encode(t, "y"), false).Err; dbusErrName(err) != ErrorNoSession {
		t.Errorf("CreateItem with a closed session: %v, want NoSession", err)
	}
	if err := call(t, c, r.path, ifaceSession+".Close").Err; dbusErrName(err) != ErrorNoSuchObject {
		t.Errorf("a second Close: %v, want NoSuchObject", err)
	}
}
