package portal

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// testCtx bounds a test's portal calls, so that a bug fails the test instead
// of hanging it.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

// connStats returns dbus-daemon's statistics for a connection (its match
// rules, in particular); the test fails when the bus cannot give them.
func (f *fakePortal) connStats(t *testing.T, name string) map[string]dbus.Variant {
	t.Helper()
	return testpeer.ConnectionStats(t, f.conn, name)
}

func clientName(t *testing.T, c *Client) string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		t.Fatal("client has no connection")
	}
	return c.conn.Names()[0]
}

func TestClientSecretSuccess(t *testing.T) {
	want := pattern(SecretLen)
	f := newFakePortal(t, behaviour{version: 1, data: want})
	c := NewClient(WithAddress(f.bus.Address))
	defer c.Close()
	ctx := testCtx(t)

	v1, err := c.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(v1.Bytes(), want) {
		t.Fatalf("secret differs from what the portal wrote")
	}
	if v1.ContentType() != secret.ContentTypeBinary {
		t.Fatalf("content type %q", v1.ContentType())
	}
	calls, handles, closed := f.stats()
	if calls != 1 || len(closed) != 0 {
		t.Fatalf("calls %d, closed %v", calls, closed)
	}
	unique := clientName(t, c)
	prefix := requestPrefix + strings.ReplaceAll(strings.TrimPrefix(unique, ":"), ".", "_") + "/moneypenny_"
	if !strings.HasPrefix(string(handles[0]), prefix) {
		t.Fatalf("handle %s, want prefix %s", handles[0], prefix)
	}

	// The second call is served from the cache, as an independent copy.
	v1.Wipe()
	v2, err := c.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(v2.Bytes(), want) {
		t.Fatal("cached secret differs (or was wiped through a returned copy)")
	}
	if calls, _, _ := f.stats(); calls != 1 {
		t.Fatalf("portal asked %d times, want once", calls)
	}

	// The match rules are gone again, and there were two: the request's
	// Response and the owner of the portal's name.
	st := f.connStats(t, unique)
	if st["MatchRules"].Value().(uint32) != 0 || st["PeakMatchRules"].Value().(uint32) != 2 {
		t.Fatalf("match rules now %v, peak %v", st["MatchRules"], st["PeakMatchRules"])
	}

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.Secret(ctx); !errors.Is(err, secret.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if !bytes.Equal(v2.Bytes(), want) {
		t.Fatal("Close wiped a copy the caller owns")
	}
}

func TestRetrieveSecretVariants(t *testing.T) {
	long := pattern(100)
	for _, tc := range []struct {
		name string
		b    behaviour
		want []byte
	}{
		{"first-64-of-longer", behaviour{data: long}, long[:SecretLen]},
		{"response-before-reply", behaviour{data: long[:SecretLen], beforeReply: true}, long[:SecretLen]},
		{"broadcast-response", behaviour{data: long[:SecretLen], broadcast: true}, long[:SecretLen]},
		{"handle-differs", behaviour{data: long[:SecretLen], pathSuffix: "/2", decoy: true}, long[:SecretLen]},
		{"handle-differs-before-reply", behaviour{data: long[:SecretLen], pathSuffix: "/2", decoy: true, beforeReply: true}, long[:SecretLen]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakePortal(t, tc.b)
			v, err := RetrieveSecret(testCtx(t), WithAddress(f.bus.Address))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(v.Bytes(), tc.want) {
				t.Fatal("wrong secret")
			}
			if tc.b.pathSuffix != "" {
				_, handles, _ := f.stats()
				if !strings.HasSuffix(string(handles[0]), tc.b.pathSuffix) {
					t.Fatalf("fake returned %s", handles[0])
				}
			}
		})
	}
}

// When the portal picks another path than the predicted one, the match rule
// moves there (added before the old one is removed) and is gone at the end.
func TestSubscriptionMoves(t *testing.T) {
	f := newFakePortal(t, behaviour{data: pattern(SecretLen), pathSuffix: "/7", decoy: true})
	c := NewClient(WithAddress(f.bus.Address))
	defer c.Close()
	if _, err := c.Secret(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	st := f.connStats(t, clientName(t, c))
	// Response on two paths for a moment, and the name's owner.
	if st["MatchRules"].Value().(uint32) != 0 || st["PeakMatchRules"].Value().(uint32) != 3 {
		t.Fatalf("match rules now %v, peak %v", st["MatchRules"], st["PeakMatchRules"])
	}
}

// waitHandle waits until the fake has taken one request and returns it. It
// runs beside the test, so it reports with Errorf.
func (f *fakePortal) waitHandle(t *testing.T) dbus.ObjectPath {
	var handles []dbus.ObjectPath
	if !testpeer.WaitFor(10*time.Second, func() bool { _, handles, _ = f.stats(); return len(handles) == 1 }) {
		t.Errorf("the portal was never asked")
		return ""
	}
	return handles[0]
}

// A Response from anyone but the portal, here a cancellation addressed to
// the client by a third connection, does not end the request.
func TestForgedResponseIsIgnored(t *testing.T) {
	f := newFakePortal(t, behaviour{never: true})
	c := NewClient(WithAddress(f.bus.Address))
	defer c.Close()
	forger, err := dbus.Connect(f.bus.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer forger.Close()
	go func() {
		handle := f.waitHandle(t)
		msg := &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldPath:        dbus.MakeVariant(handle),
			dbus.FieldInterface:   dbus.MakeVariant(ifaceRequest),
			dbus.FieldMember:      dbus.MakeVariant("Response"),
			dbus.FieldDestination: dbus.MakeVariant(clientName(t, c)),
		}, Body: []any{uint32(responseCancelled), map[string]dbus.Variant{}}}
		msg.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(msg.Body...))
		if err := forger.Send(msg, nil).Err; err != nil {
			t.Errorf("forge: %v", err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := c.Secret(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the deadline: the forged cancellation was believed", err)
	}
}

// The portal leaving the bus while a request is open ends the wait with
// ErrNoPortal at once instead of waiting for a Response that cannot come.
func TestPortalLeavesDuringRequest(t *testing.T) {
	f := newFakePortal(t, behaviour{never: true})
	go func() {
		f.waitHandle(t)
		_ = f.conn.Close()
	}()
	ctx := testCtx(t)
	if _, err := RetrieveSecret(ctx, WithAddress(f.bus.Address)); !errors.Is(err, ErrNoPortal) {
		t.Fatalf("got %v, want ErrNoPortal", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the wait only ended with the test's deadline")
	}
}

func TestRetrieveSecretResponses(t *testing.T) {
	for _, tc := range []struct {
		code uint32
		want []error
	}{
		{1, []error{secret.ErrDismissed}},
		{2, []error{ErrRequestFailed, secret.ErrUnavailable}},
		{7, []error{ErrRequestFailed}},
	} {
		f := newFakePortal(t, behaviour{response: tc.code})
		_, err := RetrieveSecret(testCtx(t), WithAddress(f.bus.Address))
		for _, w := range tc.want {
			if !errors.Is(err, w) {
				t.Errorf("response %d: %v is not %v", tc.code, err, w)
			}
		}
		if errors.Is(err, ErrNoPortal) {
			t.Errorf("response %d: %v must not be ErrNoPortal (the portal exists)", tc.code, err)
		}
	}
}

func TestRetrieveSecretShort(t *testing.T) {
	for _, data := range [][]byte{[]byte("SHORTSECRET"), {}, pattern(SecretLen - 1)} {
		f := newFakePortal(t, behaviour{data: data})
		v, err := RetrieveSecret(testCtx(t), WithAddress(f.bus.Address))
		if !errors.Is(err, secret.ErrCorrupt) || v != nil {
			t.Fatalf("%d bytes: %v, %v", len(data), v, err)
		}
		if strings.Contains(err.Error(), "SHORTSECRET") {
			t.Fatalf("error leaks the secret: %v", err)
		}
	}
	// A portal that writes nothing at all and closes the fd: EOF, not a hang.
	f := newFakePortal(t, behaviour{})
	if _, err := RetrieveSecret(testCtx(t), WithAddress(f.bus.Address)); !errors.Is(err, secret.ErrCorrupt) {
		t.Fatalf("nothing written: %v", err)
	}
}

// A request that never answers ends with the context, and the request is
// closed in the portal.
func TestRetrieveSecretNeverAnswers(t *testing.T) {
	f := newFakePortal(t, behaviour{never: true})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := RetrieveSecret(ctx, WithAddress(f.bus.Address))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	_, handles, closed := f.stats()
	if len(handles) != 1 || len(closed) != 1 || closed[0] != handles[0] {
		t.Fatalf("handles %v, closed %v", handles, closed)
	}
}

// The package's own bound applies when the caller's context has none.
func TestRetrieveSecretWithTimeout(t *testing.T) {
	f := newFakePortal(t, behaviour{never: true, pathSuffix: "/9"})
	_, err := RetrieveSecret(context.Background(), WithAddress(f.bus.Address), WithTimeout(200*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	_, handles, closed := f.stats()
	if len(closed) != 1 || closed[0] != handles[0] || !strings.HasSuffix(string(closed[0]), "/9") {
		t.Fatalf("handles %v, closed %v", handles, closed)
	}
}

// Cancelled while the method call itself is unanswered: the request, which
// the portal created at the predicted path, is closed.
func TestRetrieveSecretCallNeverReturns(t *testing.T) {
	f := newFakePortal(t, behaviour{blockCall: true})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		testpeer.WaitFor(10*time.Second, func() bool { c, _, _ := f.stats(); return c == 1 })
		cancel()
	}()
	_, err := RetrieveSecret(ctx, WithAddress(f.bus.Address))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	_, handles, closed := f.stats()
	if len(closed) != 1 || closed[0] != handles[0] {
		t.Fatalf("handles %v, closed %v", handles, closed)
	}
}

// Closing a Client ends a pending request at once.
func TestClientCloseWhilePending(t *testing.T) {
	f := newFakePortal(t, behaviour{never: true})
	c := NewClient(WithAddress(f.bus.Address))
	errc := make(chan error, 1)
	go func() { _, err := c.Secret(testCtx(t)); errc <- err }()
	testpeer.WaitFor(10*time.Second, func() bool { n, _, _ := f.stats(); return n == 1 })
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	err := <-errc
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}

func TestClientRetriesAfterFailure(t *testing.T) {
	f := newFakePortal(t, behaviour{response: 2})
	c := NewClient(WithAddress(f.bus.Address))
	defer c.Close()
	if _, err := c.Secret(testCtx(t)); !errors.Is(err, ErrRequestFailed) {
		t.Fatalf("first: %v", err)
	}
	f.setBehaviour(behaviour{data: pattern(SecretLen)})
	v, err := c.Secret(testCtx(t))
	if err != nil || !bytes.Equal(v.Bytes(), pattern(SecretLen)) {
		t.Fatalf("second: %v", err)
	}
	if n, _, _ := f.stats(); n != 2 {
		t.Fatalf("portal asked %d times", n)
	}
}

func TestClientConcurrent(t *testing.T) {
	f := newFakePortal(t, behaviour{data: pattern(SecretLen)})
	c := NewClient(WithAddress(f.bus.Address))
	defer c.Close()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			v, err := c.Secret(testCtx(t))
			if err != nil || !bytes.Equal(v.Bytes(), pattern(SecretLen)) {
				t.Errorf("Secret: %v", err)
			}
			v.Wipe()
		})
	}
	wg.Wait()
	if n, _, _ := f.stats(); n != 1 {
		t.Fatalf("portal asked %d times, want once", n)
	}
}

func TestVersion(t *testing.T) {
	for _, want := range []uint32{1, 2} {
		f := newFakePortal(t, behaviour{version: want})
		got, err := Version(testCtx(t), WithAddress(f.bus.Address))
		if err != nil || got != want {
			t.Fatalf("Version = %d, %v; want %d", got, err, want)
		}
	}
}

func isNoPortal(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrNoPortal) || !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("%s: %v is not ErrNoPortal", what, err)
	}
}

func TestNoSecretInterface(t *testing.T) {
	f := newFakePortal(t, behaviour{noSecret: true})
	_, err := Version(testCtx(t), WithAddress(f.bus.Address))
	isNoPortal(t, "Version", err)
	_, err = RetrieveSecret(testCtx(t), WithAddress(f.bus.Address))
	isNoPortal(t, "RetrieveSecret", err)
}

func TestNoPortalService(t *testing.T) {
	b := testpeer.NewBus(t)
	_, err := Version(testCtx(t), WithAddress(b.Address))
	isNoPortal(t, "Version", err)
	_, err = RetrieveSecret(testCtx(t), WithAddress(b.Address))
	isNoPortal(t, "RetrieveSecret", err)
}

func TestNoBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	// Nothing may be autolaunched: with no usable address there is no portal.
	for _, addr := range []string{"", "unix:path=/nonexistent/moneypenny/bus", "autolaunch:", "disabled:"} {
		_, err := Version(testCtx(t), WithAddress(addr))
		isNoPortal(t, "Version "+addr, err)
		_, err = RetrieveSecret(testCtx(t), WithAddress(addr))
		isNoPortal(t, "RetrieveSecret "+addr, err)
	}
	// The default address comes from the environment.
	f := newFakePortal(t, behaviour{version: 1})
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", f.bus.Address)
	if v, err := Version(testCtx(t)); err != nil || v != 1 {
		t.Fatalf("from env: %d %v", v, err)
	}
}

func TestRequestPath(t *testing.T) {
	if got := requestPath(":1.42", "tok_1"); got != "/org/freedesktop/portal/desktop/request/1_42/tok_1" {
		t.Fatal(got)
	}
	for range 10 {
		if tok := newToken(); !tokenRE.MatchString(tok) {
			t.Fatalf("token %q has characters the portal rejects", tok)
		}
	}
}
