package provider

import (
	"bytes"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dhsession"
	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// TestOpenSessionKeyPairsNeverShared: the service answers every DH
// OpenSession with a public key of its own, though it generates them ahead
// (dhsession.Spare); many sessions opened back to back, from one client and
// from several, never get the same one, and each derives the key its client
// does.
func TestOpenSessionKeyPairsNeverShared(t *testing.T) {
	s := serve(t, nil, Options{})
	g := dhsession.Oakley1024()
	seen := map[string]bool{}
	conns := []*dbus.Conn{s.client(t), s.client(t), s.client(t)}
	for i := range 30 {
		conn := conns[i%len(conns)]
		client, err := dhsession.GenerateKey(g, nil)
		must(t, err)
		var out dbus.Variant
		var path dbus.ObjectPath
		must(t, call(t, conn, servicePath, ifaceService+".OpenSession", dhsession.Algorithm, dbus.MakeVariant(client.PublicKey())).Store(&out, &path))
		theirs, ok := out.Value().([]byte)
		if !ok {
			t.Fatalf("OpenSession output %v", out)
		}
		if seen[string(theirs)] {
			t.Fatalf("session %d got a public key an earlier session had", i)
		}
		seen[string(theirs)] = true
		// The session works at once: the service may still be deriving
		// its key when the first secret arrives.
		key, err := client.SharedKey(theirs)
		must(t, err)
		c, err := dhsession.NewCipher(key)
		must(t, err)
		iv, ct, err := c.Encrypt(nil, []byte("s"))
		must(t, err)
		var item, prompt dbus.ObjectPath
		must(t, call(t, conn, collectionBase+"session", ifaceCollection+".CreateItem",
			newItemProps("k", map[string]string{"k": "1"}), wireSecret{Session: path, Parameters: iv, Value: ct, ContentType: "text/plain"}, true).Store(&item, &prompt))
		var ws wireSecret
		must(t, call(t, conn, item, ifaceItem+".GetSecret", path).Store(&ws))
		if got, err := c.Decrypt(ws.Parameters, ws.Value); err != nil || string(got) != "s" {
			t.Fatalf("session %d: %q %v", i, got, err)
		}
	}
}

// TestOpenSessionRefusesBadKey: a public key outside the group is refused
// by OpenSession itself (not later, when the shared secret is derived), and
// leaves no session behind.
func TestOpenSessionRefusesBadKey(t *testing.T) {
	s := serve(t, nil, Options{})
	conn := s.client(t)
	g := dhsession.Oakley1024()
	pMinus1 := new(big.Int).Sub(g.P, big.NewInt(1)).Bytes()
	for _, bad := range [][]byte{{}, {1}, pMinus1, g.P.Bytes(), bytes.Repeat([]byte{7}, 129)} {
		var out dbus.Variant
		var path dbus.ObjectPath
		err := call(t, conn, servicePath, ifaceService+".OpenSession", dhsession.Algorithm, dbus.MakeVariant(bad)).Store(&out, &path)
		if dbusErrName(err) != errorInvalidArgs {
			t.Errorf("OpenSession with a %d-byte bad key: %v, want InvalidArgs", len(bad), err)
		}
	}
	s.srv.mu.Lock()
	n := len(s.srv.sessions)
	s.srv.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d sessions left by refused OpenSessions", n)
	}
}

// TestSessionClosedWhileDeriving: a session closed before its shared key
// is derived keeps no key (the derivation wipes what it made) and refuses
// to encode or decode.
func TestSessionClosedWhileDeriving(t *testing.T) {
	spare := dhsession.NewSpare(dhsession.Oakley1024())
	defer spare.Close()
	client, err := dhsession.GenerateKey(dhsession.Oakley1024(), nil)
	must(t, err)
	for range 5 {
		ss, pub, err := newDHSession("/s", ":1.1", client.PublicKey(), spare, time.Hour)
		must(t, err)
		if len(pub) != 128 {
			t.Fatalf("public key of %d bytes", len(pub))
		}
		ss.close()
		<-ss.ready
		ss.mu.Lock()
		cipher, alt := ss.cipher, ss.alt
		ss.mu.Unlock()
		if cipher != nil || alt != nil {
			t.Fatal("a closed session kept a key")
		}
		if _, err := ss.encode(rand.Reader, []byte("x"), "text/plain"); !errors.Is(err, errSessionClosed) {
			t.Fatalf("encode on a closed session: %v", err)
		}
		if _, err := ss.decode(wireSecret{Parameters: make([]byte, 16), Value: make([]byte, 16)}); !errors.Is(err, errSessionClosed) {
			t.Fatalf("decode on a closed session: %v", err)
		}
	}
}

// TestSpareRefilledWhenSessionEnds: the key pair a session took is replaced
// once its client leaves (not while a short-lived client like secret-tool
// still runs), or after the refill delay when the session stays open.
func TestSpareRefilledWhenSessionEnds(t *testing.T) {
	s := serve(t, nil, Options{})
	if !waitFor(10*time.Second, s.srv.spare.Ready) {
		t.Fatal("no spare key pair after start")
	}
	s.srv.mu.Lock()
	s.srv.refillDelay = time.Hour
	s.srv.mu.Unlock()
	c, err := dbus.Connect(s.bus.Address)
	must(t, err)
	openRawDH(t, c, true)
	time.Sleep(200 * time.Millisecond) // a refill, had one started, would be done
	if s.srv.spare.Ready() {
		t.Fatal("the spare was replaced while the session that took it was open")
	}
	_ = c.Close()
	if !waitFor(10*time.Second, s.srv.spare.Ready) {
		t.Fatal("the spare was not replaced after the client left")
	}

	s.srv.mu.Lock()
	s.srv.refillDelay = 20 * time.Millisecond
	s.srv.mu.Unlock()
	openRawDH(t, s.client(t), true) // stays open until the test ends
	if !waitFor(10*time.Second, s.srv.spare.Ready) {
		t.Fatal("the spare was not replaced while a session stayed open")
	}
}

// TestFirstSpareAfterClaim: the first key pair is generated once the
// service owns its name, not while it starts.
func TestFirstSpareAfterClaim(t *testing.T) {
	b := testpeer.NewBus(t)
	conn, err := dbus.Connect(b.Address)
	must(t, err)
	defer conn.Close()
	srv, err := New(conn, Options{})
	must(t, err)
	defer srv.Close()
	time.Sleep(100 * time.Millisecond) // a generation, had one started, would be done
	if srv.spare.Ready() {
		t.Fatal("a key pair was generated before Claim")
	}
	must(t, srv.Claim(false))
	if !waitFor(10*time.Second, srv.spare.Ready) {
		t.Fatal("no key pair after Claim")
	}
}
