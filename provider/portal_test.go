package provider

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// startPortalWithProvider runs the real xdg-desktop-portal with only the
// provider's .portal file (dist/moneypenny.portal), so that its Secret
// portal calls this Server's RetrieveSecret.
func startPortalWithProvider(t *testing.T, s *served) {
	t.Helper()
	program := "/usr/libexec/xdg-desktop-portal"
	if _, err := os.Stat(program); err != nil {
		testpeer.Missing(t, "xdg-desktop-portal is not installed")
	}
	// As the daemon does: the portal on a connection of its own, which
	// passes the portal's pipe, under the name the .portal file gives.
	pc, err := dbus.Connect(s.bus.Address)
	must(t, err)
	t.Cleanup(func() { _ = pc.Close() })
	if err := s.srv.ExportPortal(nil, func() string { return "default" }); !errors.Is(err, secret.ErrNotSupported) {
		t.Fatalf("ExportPortal on Connect's connection: %v, want ErrNotSupported", err)
	}
	must(t, s.srv.ExportPortal(pc, func() string { return "default" }))
	if reply, err := pc.RequestName(PortalBusName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("request %s: %v %v", PortalBusName, reply, err)
	}
	dir := t.TempDir()
	data, err := os.ReadFile("../dist/moneypenny.portal")
	if !bytes.Contains(data, []byte("DBusName="+PortalBusName+"\n")) {
		t.Fatalf("dist/moneypenny.portal does not name %s", PortalBusName)
	}
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "moneypenny.portal"), data, 0o644))
	s.bus.Start(testpeer.PortalLog, exec.Command(program, "--verbose"),
		"XDG_DESKTOP_PORTAL_DIR="+dir, "XDG_CURRENT_DESKTOP=none")
	conn := s.bus.Conn(t)
	if !testpeer.WaitFor(testpeer.StartTimeout, func() bool {
		return testpeer.HasOwner(t.Context(), conn, testpeer.PortalName)
	}) {
		t.Fatalf("xdg-desktop-portal did not start:\n%s", s.bus.Log(testpeer.PortalLog))
	}
}

// TestPortalBackendFlatpak: an unmodified secret-tool inside a fake Flatpak
// picks libsecret's file backend, asks the real xdg-desktop-portal for its
// master secret, and the portal asks the provider. The secret is 64 bytes,
// stored as gnome-keyring stores it (an item with app_id in the default
// collection), stable across calls, different per app, and it is the
// password of the app's keyring file.
func TestPortalBackendFlatpak(t *testing.T) {
	testpeer.Need(t, "secret-tool", "bwrap")
	s := serve(t, nil, Options{})
	startPortalWithProvider(t, s)
	app := s.bus.Flatpak(t, "org.example.Provider")
	if _, err := app.SecretTool(t, "in-sandbox", "store", "--label=Sandboxed", "k", "v"); err != nil {
		t.Fatalf("store in the sandbox: %v\nportal log:\n%s", err, s.bus.Log(testpeer.PortalLog))
	}
	if out, err := app.SecretTool(t, "", "lookup", "k", "v"); err != nil || out != "in-sandbox" {
		t.Fatalf("lookup in the sandbox: %q %v", out, err)
	}
	ctx := context.Background()
	items, err := s.login.SearchItems(ctx, secret.Attributes{"app_id": "org.example.Provider"})
	if err != nil || len(items) != 1 {
		t.Fatalf("%d app secrets in login (%v), want 1", len(items), err)
	}
	attrs, _ := items[0].Attributes(ctx)
	label, _ := items[0].Label(ctx)
	if attrs["xdg:schema"] != "org.freedesktop.portal.Secret" || label != "Application key for org.example.Provider" {
		t.Fatalf("app secret item: %q %v", label, attrs)
	}
	v, err := items[0].Secret(ctx)
	must(t, err)
	key := bytes.Clone(v.Bytes())
	if len(key) != PortalSecretLen {
		t.Fatalf("app secret of %d bytes", len(key))
	}
	recs, err := filekeyring.ReadFile(app.KeyringPath(), key)
	if err != nil || len(recs) != 1 || string(recs[0].Secret.Bytes()) != "in-sandbox" {
		t.Fatalf("the app's file under its portal secret: %v, %v", recs, err)
	}
	other := s.bus.Flatpak(t, "org.example.Other")
	if _, err := other.SecretTool(t, "x", "store", "--label=O", "k", "v"); err != nil {
		t.Fatal(err)
	}
	items, _ = s.login.SearchItems(ctx, secret.Attributes{"xdg:schema": "org.freedesktop.portal.Secret"})
	if len(items) != 2 {
		t.Fatalf("%d app secrets, want one per app", len(items))
	}
	for _, it := range items {
		v, _ := it.Secret(ctx)
		if a, _ := it.Attributes(ctx); a["app_id"] == "org.example.Other" && bytes.Equal(v.Bytes(), key) {
			t.Fatal("two apps got the same secret")
		}
	}
}

// TestPortalRequestClose: while RetrieveSecret waits for the locked
// collection's unlock, its request object is exported at the handle the
// portal gave; only the caller may Close it, and Close withdraws the
// unlock and ends the call with response 1 (cancelled); the object is gone
// afterwards.
func TestPortalRequestClose(t *testing.T) {
	unlocking := make(chan struct{}, 1)
	s := serveVia(t, viaNew, nil, Options{Unlock: func(ctx context.Context, id string, st secret.Store) error {
		unlocking <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}})
	must(t, s.srv.ExportPortal(nil, func() string { return "default" }))
	portal, other := s.client(t), s.client(t)
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	must(t, call(t, portal, servicePath, ifaceService+".Lock", []dbus.ObjectPath{collectionBase + "login"}).Store(&locked, &prompt))
	r, w, err := os.Pipe()
	must(t, err)
	defer r.Close()
	const handle = portalPath + "/request/1_42/t1"
	reply := make(chan *dbus.Call, 1)
	go func() {
		reply <- portal.Object(BusName, portalPath).Call(ifacePortal+".RetrieveSecret", 0,
			dbus.ObjectPath(handle), "org.example.Closed", dbus.UnixFD(w.Fd()), map[string]dbus.Variant{})
	}()
	select {
	case <-unlocking:
	case c := <-reply:
		t.Fatalf("RetrieveSecret returned before unlocking: %v", c.Err)
	case <-time.After(20 * time.Second):
		t.Fatal("no unlock began")
	}
	if err := call(t, other, handle, ifaceRequest+".Close").Err; dbusErrName(err) != errorAccessDenied {
		t.Fatalf("Close from another connection: %v, want AccessDenied", err)
	}
	must(t, call(t, portal, handle, ifaceRequest+".Close").Err)
	select {
	case c := <-reply:
		var response uint32
		var results map[string]dbus.Variant
		if err := c.Store(&response, &results); err != nil || response != portalCancelled {
			t.Fatalf("RetrieveSecret after Close: %d, %v; want 1 (cancelled)", response, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not end RetrieveSecret")
	}
	w.Close()
	if err := call(t, portal, handle, ifaceRequest+".Close").Err; dbusErrName(err) != errorUnknownObject {
		t.Fatalf("Close of a finished request: %v, want UnknownObject", err)
	}
	if err := call(t, portal, portalPath, ifacePortal+".RetrieveSecret",
		dbus.ObjectPath("/not/a/request"), "x", dbus.UnixFD(r.Fd()), map[string]dbus.Variant{}).Err; dbusErrName(err) != errorInvalidArgs {
		t.Fatalf("a handle outside the request tree: %v, want InvalidArgs", err)
	}
}
