package dbuswire_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dbuswire"
	"github.com/moneypenny-go/keyring/internal/testpeer"
)

type secret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// TestServeThroughDaemon answers a godbus client's calls through a real
// dbus-daemon, which validates every message it routes (libdbus's
// validator, padding included) and would drop us for a malformed one: the
// calls are read with ReadFrame/ParseHeader/Decoder and answered with the
// Encoder and AppendError.
func TestServeThroughDaemon(t *testing.T) {
	bus := testpeer.NewBus(t)
	conn, err := dbuswire.Dial(bus.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	name := hello(t, conn)
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))

	client, err := dbus.Connect(bus.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	obj := client.Object(name, "/org/freedesktop/secrets")

	items := make([]dbus.ObjectPath, 100)
	for i := range items {
		items[i] = dbus.ObjectPath(fmt.Sprintf("/org/freedesktop/secrets/collection/login/%03d", i))
	}
	getSecrets := obj.Go("org.freedesktop.Secret.Service.GetSecrets", 0, nil, items, dbus.ObjectPath("/org/freedesktop/secrets/session/s1"))
	search := obj.Go("org.freedesktop.Secret.Service.SearchItems", 0, nil, map[string]string{"user": "bond", "service": ""})
	getSecret := obj.Go("org.freedesktop.Secret.Item.GetSecret", 0, nil, dbus.ObjectPath("/org/freedesktop/secrets/session/s1"))
	fail := obj.Go("org.freedesktop.Secret.Item.Delete", 0, nil)

	br := bufio.NewReader(conn)
	var buf, out []byte
	var serial uint32 = 100
	for answered := 0; answered < 4; {
		frame, err := dbuswire.ReadFrame(br, buf)
		if err != nil {
			t.Fatalf("reading a call: %v", err)
		}
		buf = frame
		h, err := dbuswire.ParseHeader(frame)
		if err != nil {
			t.Fatalf("a call from the bus: %v", err)
		}
		if h.Type != dbuswire.TypeMethodCall {
			continue // NameAcquired
		}
		serial++
		d := dbuswire.NewDecoder(h, frame)
		switch h.Member {
		case "GetSecrets":
			paths, _ := d.ObjectPaths()
			session, _ := d.ObjectPath()
			if err := d.Done(); err != nil || h.Signature != "aoo" {
				t.Fatalf("GetSecrets %q: %v", h.Signature, err)
			}
			e := dbuswire.NewMethodReturn(out, serial, h.Serial, h.Sender, "a{o(oayays)}")
			m := e.BeginArray(8)
			for i, p := range paths {
				e.BeginStruct()
				e.ObjectPath(p)
				e.BeginStruct()
				e.ObjectPath(session)
				e.Bytes(bytes.Repeat([]byte{byte(i)}, i%17))
				e.Bytes([]byte(p[len(p)-3:]))
				e.String("text/plain")
			}
			e.EndArray(m)
			out, err = e.Finish()
		case "SearchItems":
			attrs, _ := d.StringMap()
			if err := d.Done(); err != nil {
				t.Fatal(err)
			}
			e := dbuswire.NewMethodReturn(out, serial, h.Serial, h.Sender, "aoao")
			m := e.BeginArray(4)
			for _, k := range []string{"service", "user"} {
				e.ObjectPath("/attr/" + k + "_" + attrs[k])
			}
			e.EndArray(m)
			e.EndArray(e.BeginArray(4))
			out, err = e.Finish()
		case "GetSecret":
			session, _ := d.ObjectPath()
			if err := d.Done(); err != nil {
				t.Fatal(err)
			}
			e := dbuswire.NewMethodReturn(out, serial, h.Serial, h.Sender, "(oayays)")
			e.BeginStruct()
			e.ObjectPath(session)
			e.Bytes(nil)
			e.Bytes([]byte("hunter2"))
			e.String("")
			out, err = e.Finish()
		default:
			out, err = dbuswire.AppendError(out, serial, h.Serial, h.Sender, "org.freedesktop.Secret.Error.IsLocked", "locked: "+h.Member)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(out); err != nil {
			t.Fatal(err)
		}
		answered++
	}

	wait := func(c *dbus.Call) *dbus.Call {
		select {
		case <-c.Done:
		case <-time.After(20 * time.Second):
			t.Fatalf("no reply to %s", c.Method)
		}
		return c
	}
	var got map[dbus.ObjectPath]secret
	if err := wait(getSecrets).Store(&got); err != nil {
		t.Fatalf("GetSecrets: %v", err)
	}
	if len(got) != 100 {
		t.Fatalf("%d secrets", len(got))
	}
	for i, p := range items {
		s := got[p]
		if s.Session != "/org/freedesktop/secrets/session/s1" || !bytes.Equal(s.Parameters, bytes.Repeat([]byte{byte(i)}, i%17)) ||
			string(s.Value) != string(p[len(p)-3:]) || s.ContentType != "text/plain" {
			t.Errorf("%s: %+v", p, s)
		}
	}
	var unlocked, locked []dbus.ObjectPath
	if err := wait(search).Store(&unlocked, &locked); err != nil {
		t.Fatalf("SearchItems: %v", err)
	}
	if !reflect.DeepEqual(unlocked, []dbus.ObjectPath{"/attr/service_", "/attr/user_bond"}) || len(locked) != 0 {
		t.Errorf("SearchItems: %v %v", unlocked, locked)
	}
	var one secret
	if err := wait(getSecret).Store(&one); err != nil || string(one.Value) != "hunter2" || len(one.Parameters) != 0 {
		t.Errorf("GetSecret: %+v, %v", one, err)
	}
	var dbusErr dbus.Error
	if err := wait(fail).Err; !errors.As(err, &dbusErr) || dbusErr.Name != "org.freedesktop.Secret.Error.IsLocked" ||
		!reflect.DeepEqual(dbusErr.Body, []any{"locked: Delete"}) {
		t.Errorf("Delete: %#v", err)
	}
}
