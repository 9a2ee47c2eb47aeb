package provider

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// served is a Server on a private bus with the collections gnome-keyring
// has: login (the default alias, and the alias login) and session.
type served struct {
	bus   *testpeer.Bus
	srv   *Server
	conn  *dbus.Conn
	login secret.Store
}

func serve(t *testing.T, login secret.Store, o Options) *served {
	t.Helper()
	return serveTB(t, login, o)
}

// serveTB serves on a connection of the server's own (Connect), where the
// hot calls take the fast path.
func serveTB(t testing.TB, login secret.Store, o ...Options) *served {
	t.Helper()
	return serveVia(t, viaConnect, login, o...)
}

// via is how a test server gets its connection.
type via int

const (
	viaConnect via = iota // Connect: the fast path for the hot calls
	viaNew                // New on a godbus connection: godbus answers all
)

func (v via) String() string { return [...]string{"connect", "godbus"}[v] }

func serveVia(t testing.TB, how via, login secret.Store, o ...Options) *served {
	t.Helper()
	b := testpeer.NewBus(t)
	var opts Options
	if len(o) > 0 {
		opts = o[0]
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	var srv *Server
	var conn *dbus.Conn
	var err error
	switch how {
	case viaConnect:
		ctx, cancel := context.WithTimeout(context.Background(), testpeer.StartTimeout)
		srv, err = Connect(ctx, b.Address, opts)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		conn = srv.conn
	case viaNew:
		if conn, err = dbus.Connect(b.Address); err != nil {
			t.Fatal(err)
		}
		if srv, err = New(conn, opts); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = srv.Close()
		_ = conn.Close()
	})
	if login == nil {
		login = NewMemoryStore("login")
	}
	must(t, srv.AddCollection("login", "Login", login))
	must(t, srv.AddCollection("session", "Session", NewMemoryStore("session")))
	must(t, srv.SetAlias("default", "login"))
	must(t, srv.SetAlias("login", "login"))
	must(t, srv.SetAlias("session", "session"))
	must(t, srv.Claim(false))
	return &served{bus: b, srv: srv, conn: conn, login: login}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// run runs a program on the bus with stdin and returns stdout; a failure
// carries stderr.
func (s *served) run(t *testing.T, stdin string, argv ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = s.bus.Env()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), &runError{err: err, stderr: errb.String()}
	}
	return out.String(), nil
}

type runError struct {
	err    error
	stderr string
}

func (e *runError) Error() string { return e.err.Error() + ": " + strings.TrimSpace(e.stderr) }
func (e *runError) Unwrap() error { return e.err }

// client is a raw connection for calls the tests make by hand.
func (s *served) client(t *testing.T) *dbus.Conn { return s.bus.Conn(t) }

func call(t testing.TB, conn *dbus.Conn, path dbus.ObjectPath, method string, args ...any) *dbus.Call {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return conn.Object(BusName, path).CallWithContext(ctx, method, 0, args...)
}

func dbusErrName(err error) string {
	if e, ok := err.(dbus.Error); ok {
		return e.Name
	}
	if e, ok := err.(*dbus.Error); ok {
		return e.Name
	}
	return ""
}
