package provider

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dbuswire"
	"github.com/moneypenny-go/keyring/secret"
)

// countHot wraps the server's fast-path hook and counts the calls it took.
func countHot(t *testing.T, s *served) *atomic.Int64 {
	t.Helper()
	if s.srv.fast == nil {
		t.Fatal("the server has no fast path")
	}
	var n atomic.Int64
	hot := s.srv.fast.hot.Load()
	counting := func(h *dbuswire.Header, frame []byte) bool {
		took := (*hot)(h, frame)
		if took {
			n.Add(1)
		}
		return took
	}
	s.srv.fast.hot.Store(&counting)
	return &n
}

// answers is what a client sees of the hot calls, for comparing the fast
// path with godbus's.
type answers struct {
	Unlocked, Locked []dbus.ObjectPath
	Secrets          map[dbus.ObjectPath]string
	One              string
	Errors           []string
}

func hotAnswers(t *testing.T, s *served) answers {
	t.Helper()
	ctx := context.Background()
	for i := range 3 {
		_, err := s.login.CreateItem(ctx, fmt.Sprint("item ", i), secret.Attributes{"app": "fast", "n": strconv.Itoa(i)},
			secret.NewString(fmt.Sprint("secret ", i)), false)
		must(t, err)
	}
	a, b := s.client(t), s.client(t)
	var out dbus.Variant
	var sess dbus.ObjectPath
	must(t, call(t, a, servicePath, ifaceService+".OpenSession", "plain", dbus.MakeVariant("")).Store(&out, &sess))
	var got answers
	must(t, call(t, a, servicePath, ifaceService+".SearchItems", map[string]string{"app": "fast"}).Store(&got.Unlocked, &got.Locked))
	if len(got.Unlocked) != 3 {
		t.Fatalf("SearchItems = %v, %v", got.Unlocked, got.Locked)
	}
	// Duplicates and unknown items in one GetSecrets.
	ask := append([]dbus.ObjectPath{collectionBase + "login/999", got.Unlocked[0]}, got.Unlocked...)
	var secrets map[dbus.ObjectPath]wireSecret
	must(t, call(t, a, servicePath, ifaceService+".GetSecrets", ask, sess).Store(&secrets))
	got.Secrets = map[dbus.ObjectPath]string{}
	for p, ws := range secrets {
		if ws.Session != sess || len(ws.Parameters) != 0 || ws.ContentType != "text/plain" {
			t.Errorf("GetSecrets[%s] = %+v", p, ws)
		}
		got.Secrets[p] = string(ws.Value)
	}
	var ws wireSecret
	must(t, call(t, a, got.Unlocked[1], ifaceItem+".GetSecret", sess).Store(&ws))
	got.One = string(ws.Value)
	// Through the alias path too.
	alias := dbus.ObjectPath(aliasBase + "default/" + string(got.Unlocked[2][len(collectionBase+"login/"):]))
	must(t, call(t, a, alias, ifaceItem+".GetSecret", sess).Store(&ws))
	if string(ws.Value) != "secret 2" {
		t.Errorf("GetSecret through the alias = %q", ws.Value)
	}
	for _, c := range []*dbus.Call{
		call(t, b, servicePath, ifaceService+".GetSecrets", got.Unlocked, sess),                  // another connection's session
		call(t, a, servicePath, ifaceService+".GetSecrets", got.Unlocked, noPath),                // no session
		call(t, a, got.Unlocked[0], ifaceItem+".GetSecret", dbus.ObjectPath(sessionBase+"s999")), // unknown session
		call(t, a, collectionBase+"login/999", ifaceItem+".GetSecret", sess),                     // unknown item
		call(t, a, collectionBase+"nope/1", ifaceItem+".GetSecret", sess),                        // unknown collection
		call(t, a, servicePath, ifaceService+".GetSecrets", got.Unlocked),                        // wrong signature: godbus
		call(t, a, collectionBase+"login", ifaceService+".GetSecrets", got.Unlocked, sess),       // not the service path
		call(t, a, servicePath, ifaceService+".SearchItems", "not a map"),
	} {
		name := dbusErrName(c.Err)
		if c.Err == nil {
			name = "<no error>"
		}
		got.Errors = append(got.Errors, name)
	}
	// Locked: GetSecret refuses, GetSecrets leaves the item out, the
	// search lists the items as locked.
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	must(t, call(t, a, servicePath, ifaceService+".Lock", []dbus.ObjectPath{collectionBase + "login"}).Store(&locked, &prompt))
	got.Errors = append(got.Errors, dbusErrName(call(t, a, got.Unlocked[0], ifaceItem+".GetSecret", sess).Err))
	var whileLocked map[dbus.ObjectPath]wireSecret
	must(t, call(t, a, servicePath, ifaceService+".GetSecrets", got.Unlocked, sess).Store(&whileLocked))
	got.Errors = append(got.Errors, fmt.Sprint(len(whileLocked), " secrets while locked"))
	var unl, lck []dbus.ObjectPath
	must(t, call(t, a, servicePath, ifaceService+".SearchItems", map[string]string{"app": "fast"}).Store(&unl, &lck))
	got.Errors = append(got.Errors, fmt.Sprint(len(unl), " unlocked, ", len(lck), " locked"))
	return got
}

// TestFastPathAnswersAsGodbus: the hot calls answered by the fast path give
// a client exactly what godbus's methods give, for the secrets, the
// search, duplicates and unknown items, and every error; calls that are not
// exactly the hot shape go to godbus.
func TestFastPathAnswersAsGodbus(t *testing.T) {
	fast := serveVia(t, viaConnect, nil, Options{})
	n := countHot(t, fast)
	got := hotAnswers(t, fast)
	want := hotAnswers(t, serveVia(t, viaNew, nil, Options{}))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fast path:\n%+v\ngodbus:\n%+v", got, want)
	}
	if len(got.Secrets) != 3 || got.Secrets[got.Unlocked[0]] != "secret 0" || got.One != "secret 1" {
		t.Errorf("secrets = %v, %q", got.Secrets, got.One)
	}
	wantErrs := []string{ErrorNoSession, ErrorNoSession, ErrorNoSession, ErrorNoSuchObject, ErrorNoSuchObject,
		"org.freedesktop.DBus.Error.InvalidArgs", errorUnknownMethod, "org.freedesktop.DBus.Error.InvalidArgs",
		ErrorIsLocked, "0 secrets while locked", "0 unlocked, 3 locked"}
	if !reflect.DeepEqual(got.Errors, wantErrs) {
		t.Errorf("errors = %q\nwant     %q", got.Errors, wantErrs)
	}
	// 2 searches, 2 GetSecrets, 3 GetSecret, and the 5 error cases of
	// the hot shape (the wrong signatures and the wrong path went to
	// godbus).
	if n.Load() != 12 {
		t.Errorf("the fast path took %d calls, want every hot one", n.Load())
	}
}

// rawClient is a connection that writes messages by hand: godbus only
// writes its own byte order, and the fast path must read both.
type rawClient struct {
	t      *testing.T
	c      net.Conn
	in     *bufio.Reader
	serial uint32
	name   string
}

func dialRaw(t *testing.T, address string) *rawClient {
	t.Helper()
	c, err := dbuswire.Dial(address)
	must(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	r := &rawClient{t: t, c: c, in: bufio.NewReader(c)}
	uid := hex.EncodeToString([]byte(strconv.Itoa(os.Getuid())))
	_, err = c.Write([]byte("\x00AUTH EXTERNAL " + uid + "\r\n"))
	must(t, err)
	line, err := r.in.ReadString('\n')
	if err != nil || len(line) < 3 || line[:3] != "OK " {
		t.Fatalf("auth: %q %v", line, err)
	}
	_, err = c.Write([]byte("BEGIN\r\n"))
	must(t, err)
	var name string
	r.call(binary.BigEndian, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello").Store(&name)
	r.name = name
	return r
}

// call sends a method call in the given byte order and returns its reply.
func (r *rawClient) call(order binary.ByteOrder, dest string, path dbus.ObjectPath, iface, member string, args ...any) *dbus.Call {
	r.t.Helper()
	msg := &dbus.Message{Type: dbus.TypeMethodCall, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldDestination: dbus.MakeVariant(dest),
		dbus.FieldPath:        dbus.MakeVariant(path),
		dbus.FieldInterface:   dbus.MakeVariant(iface),
		dbus.FieldMember:      dbus.MakeVariant(member),
	}, Body: args}
	if len(args) > 0 {
		msg.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(args...))
	}
	var buf bytes.Buffer
	must(r.t, msg.EncodeTo(&buf, order))
	// godbus leaves the serial of a message it did not send at 0.
	r.serial++
	b := buf.Bytes()
	order.PutUint32(b[8:12], r.serial)
	_, err := r.c.Write(b)
	must(r.t, err)
	for {
		frame, err := dbuswire.ReadFrame(r.in, nil)
		must(r.t, err)
		reply, err := dbus.DecodeMessage(bytes.NewReader(frame))
		must(r.t, err)
		if rs, ok := reply.Headers[dbus.FieldReplySerial].Value().(uint32); !ok || rs != r.serial {
			continue // a signal, say NameAcquired
		}
		c := &dbus.Call{Body: reply.Body}
		if reply.Type == dbus.TypeError {
			name, _ := reply.Headers[dbus.FieldErrorName].Value().(string)
			c.Err = dbus.Error{Name: name, Body: reply.Body}
		}
		return c
	}
}

// TestFastPathBigEndian: a client writing big-endian messages (the bus
// passes them on as they are) gets its secrets from the fast path.
func TestFastPathBigEndian(t *testing.T) {
	s := serveTB(t, nil)
	n := countHot(t, s)
	ctx := context.Background()
	_, err := s.login.CreateItem(ctx, "be", secret.Attributes{"order": "big"}, secret.NewString("big-endian secret"), false)
	must(t, err)
	r := dialRaw(t, s.bus.Address)
	var out dbus.Variant
	var sess dbus.ObjectPath
	must(t, r.call(binary.BigEndian, BusName, servicePath, ifaceService, "OpenSession", "plain", dbus.MakeVariant("")).Store(&out, &sess))
	var unl, lck []dbus.ObjectPath
	must(t, r.call(binary.BigEndian, BusName, servicePath, ifaceService, "SearchItems", map[string]string{"order": "big"}).Store(&unl, &lck))
	if len(unl) != 1 || len(lck) != 0 {
		t.Fatalf("SearchItems = %v, %v", unl, lck)
	}
	var secrets map[dbus.ObjectPath]wireSecret
	must(t, r.call(binary.BigEndian, BusName, servicePath, ifaceService, "GetSecrets", unl, sess).Store(&secrets))
	if string(secrets[unl[0]].Value) != "big-endian secret" {
		t.Fatalf("GetSecrets = %+v", secrets)
	}
	var ws wireSecret
	must(t, r.call(binary.BigEndian, BusName, unl[0], ifaceItem, "GetSecret", sess).Store(&ws))
	if string(ws.Value) != "big-endian secret" {
		t.Fatalf("GetSecret = %+v", ws)
	}
	err = r.call(binary.BigEndian, BusName, unl[0], ifaceItem, "GetSecret", dbus.ObjectPath(sessionBase+"s999")).Err
	if dbusErrName(err) != ErrorNoSession {
		t.Fatalf("GetSecret with an unknown session: %v", err)
	}
	if n.Load() != 4 {
		t.Errorf("the fast path took %d calls, want 4", n.Load())
	}
}

// TestFastPathNoReplyExpected: a hot call flagged NoReplyExpected is
// carried out without a reply, and the connection goes on.
func TestFastPathNoReplyExpected(t *testing.T) {
	s := serveTB(t, nil)
	n := countHot(t, s)
	a := s.client(t)
	var out dbus.Variant
	var sess dbus.ObjectPath
	must(t, call(t, a, servicePath, ifaceService+".OpenSession", "plain", dbus.MakeVariant("")).Store(&out, &sess))
	c := a.Object(BusName, servicePath).Call(ifaceService+".SearchItems", dbus.FlagNoReplyExpected, map[string]string{})
	if c.Err != nil {
		t.Fatal(c.Err)
	}
	var unl, lck []dbus.ObjectPath
	must(t, call(t, a, servicePath, ifaceService+".SearchItems", map[string]string{}).Store(&unl, &lck))
	if n.Load() != 2 {
		t.Errorf("the fast path took %d calls, want 2", n.Load())
	}
}

// TestConnectCancelled: Connect gives up with the context.
func TestConnectCancelled(t *testing.T) {
	ln, err := net.Listen("unix", t.TempDir()+"/silent")
	must(t, err)
	defer ln.Close()
	go func() {
		// A bus that accepts and never answers.
		c, err := ln.Accept()
		if err == nil {
			<-t.Context().Done()
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = Connect(ctx, "unix:path="+ln.Addr().String(), Options{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Connect to a silent bus: %v, want DeadlineExceeded", err)
	}
}

// TestFastPathUnencodableSecret: a store item whose content type D-Bus
// cannot carry (not UTF-8) gets a Failed error from the fast path, not a
// broken message, and the connection goes on.
func TestFastPathUnencodableSecret(t *testing.T) {
	s := serveTB(t, nil)
	n := countHot(t, s)
	ctx := context.Background()
	_, err := s.login.CreateItem(ctx, "odd", secret.Attributes{"odd": "1"}, secret.NewWithContentType([]byte("x"), "text/\xff"), false)
	must(t, err)
	a := s.client(t)
	var out dbus.Variant
	var sess dbus.ObjectPath
	must(t, call(t, a, servicePath, ifaceService+".OpenSession", "plain", dbus.MakeVariant("")).Store(&out, &sess))
	var unl, lck []dbus.ObjectPath
	must(t, call(t, a, servicePath, ifaceService+".SearchItems", map[string]string{"odd": "1"}).Store(&unl, &lck))
	if len(unl) != 1 {
		t.Fatalf("SearchItems = %v", unl)
	}
	if err := call(t, a, unl[0], ifaceItem+".GetSecret", sess).Err; dbusErrName(err) != errorFailed {
		t.Fatalf("GetSecret of an unencodable secret: %v, want Failed", err)
	}
	if err := call(t, a, servicePath, ifaceService+".GetSecrets", unl, sess).Err; dbusErrName(err) != errorFailed {
		t.Fatalf("GetSecrets with an unencodable secret: %v, want Failed", err)
	}
	must(t, call(t, a, servicePath, ifaceService+".SearchItems", map[string]string{"odd": "1"}).Store(&unl, &lck))
	if n.Load() != 4 {
		t.Errorf("the fast path took %d calls, want 4", n.Load())
	}
}
