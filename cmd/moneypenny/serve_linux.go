package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/provider"
	"github.com/moneypenny-go/keyring/secret"
)

// daemon is one run of `moneypenny serve`.
type daemon struct {
	c   *cli
	dir string // $XDG_DATA_HOME/keyrings; "" when ephemeral
	ask askFunc
	srv *provider.Server

	mu       sync.Mutex
	password []byte // the login password once known: it opens and creates the other files
	files    map[string]*fileCollection
}

func cmdServe(ctx context.Context, c *cli, args []string) error {
	if len(args) != 0 {
		return usageError{"serve takes no operands"}
	}
	// serve runs until stopped, not for --timeout.
	ctx = context.WithoutCancel(ctx)
	warnings := harden()
	for _, w := range warnings {
		fmt.Fprintf(c.io.stderr, "moneypenny serve: warning: %s\n", w)
	}
	addr, err := sessionBusAddress(c.io.getenv)
	if err != nil {
		return err
	}
	// Two connections: the Secret Service's own (provider.Connect), whose
	// hot calls skip godbus's reflection but which passes no fds, and
	// this one, for the prompter and for the portal backend, which is
	// handed a pipe.
	aux, err := dbus.Connect(addr)
	if err != nil {
		return fmt.Errorf("serve: connect to the session bus: %w", err)
	}
	defer aux.Close()

	d := &daemon{c: c, files: map[string]*fileCollection{}}
	defer func() { secret.Wipe(d.password) }()
	ask, how, err := c.prompter(aux)
	if err != nil {
		return err
	}
	d.ask = ask
	opts := provider.Options{
		Logf: func(format string, a ...any) {
			fmt.Fprintf(c.io.stderr, "moneypenny serve: "+format+"\n", a...)
		},
		Unlock: d.unlock,
	}
	if !c.serve.ephemeral {
		if d.dir, err = keyringsDir(c.io.getenv); err != nil {
			return err
		}
		opts.NewCollection = d.newCollection
		opts.CollectionDeleted = d.collectionDeleted
		opts.AliasChanged = d.aliasChanged
	}
	srv, err := provider.Connect(ctx, addr, opts)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer srv.Close()
	d.srv = srv
	opening, err := d.addCollections(ctx, srv)
	if err != nil {
		return err
	}
	if c.serve.portal {
		if err := srv.ExportPortal(aux, d.portalCollection); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	if err := srv.Claim(c.serve.replace); err != nil {
		// Not wrapped: the CLI's hint for ErrUnavailable (run diagnose,
		// pick a backend) is about clients, not about this.
		return errors.New(err.Error())
	}
	if c.serve.portal {
		if err := claimPortal(aux, c.serve.replace); err != nil {
			return err
		}
	}
	where := "memory (--ephemeral)"
	if d.dir != "" {
		where = d.dir
	}
	hardened := "core dumps off, memory locked"
	if len(warnings) > 0 {
		hardened = "partly (see the warnings)"
	}
	fmt.Fprintf(c.io.stderr, "moneypenny serve: serving %s on %s from %s; prompter: %s; hardening: %s\n",
		provider.BusName, addr, where, how, hardened)
	// Start-up is over: the pages of code that only it ran need not stay
	// resident (see serve_filepages_linux.go). In the background, while
	// the key derivation of the files opening takes its time on another
	// core; once login is open, the pages that only opening ran go too.
	go releaseFilePages()
	// From now on, the heap a burst of calls grows is returned once the
	// daemon is quiet again (see serve_idle_linux.go).
	idle := newIdleRelease(idleDelay, heapAllocs, heapReleaser())
	defer idle.close()
	onEachGC(idle.busy)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	select {
	case err := <-opening:
		// The login keyring did not open with the password given: a
		// daemon that cannot serve it must not pretend to.
		return err
	case <-sigs:
	case <-srv.Lost():
		if !srv.Connected() {
			// The session ended (or its bus died): nobody can reach us.
			fmt.Fprintf(c.io.stderr, "moneypenny serve: the session bus closed the connection; exiting\n")
			break
		}
		fmt.Fprintf(c.io.stderr, "moneypenny serve: another provider took %s over; exiting\n", provider.BusName)
	}
	return nil
}

// sessionBusAddress is the session bus only: DBUS_SESSION_BUS_ADDRESS or
// $XDG_RUNTIME_DIR/bus. Never an autolaunched bus, never the system bus.
func sessionBusAddress(getenv func(string) string) (string, error) {
	addr := getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		if rt := getenv("XDG_RUNTIME_DIR"); rt != "" {
			if fi, err := os.Stat(filepath.Join(rt, "bus")); err == nil && fi.Mode()&os.ModeSocket != 0 {
				addr = "unix:path=" + filepath.Join(rt, "bus")
			}
		}
	}
	if addr == "" {
		return "", fmt.Errorf("serve: no session bus (DBUS_SESSION_BUS_ADDRESS is unset and $XDG_RUNTIME_DIR/bus does not exist): %w", keyring.ErrUnavailable)
	}
	if sys := getenv("DBUS_SYSTEM_BUS_ADDRESS"); (sys != "" && addr == sys) ||
		strings.Contains(addr, "/run/dbus/system_bus_socket") {
		return "", fmt.Errorf("serve: %s is the system bus; the Secret Service belongs on the session bus", addr)
	}
	return addr, nil
}

func keyringsDir(getenv func(string) string) (string, error) {
	data := getenv("XDG_DATA_HOME")
	if data == "" {
		home := getenv("HOME")
		if home == "" {
			return "", fmt.Errorf("serve: neither XDG_DATA_HOME nor HOME is set")
		}
		data = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(data, "keyrings"), nil
}

// label is how a collection file is shown: the v1 format stores no label,
// but the file's name is the label escaped (provider.EscapeID).
func label(id string) string {
	if id == "login" {
		return "Login"
	}
	if l, ok := provider.UnescapeID(id); ok {
		return l
	}
	return id
}

// addCollections serves login (and every other *.keyring file), the
// session collection, and the aliases. With a password the files open in
// the background, so that the name can be owned at once; a failure to
// open login arrives on the returned channel.
func (d *daemon) addCollections(ctx context.Context, srv *provider.Server) (<-chan error, error) {
	fail := make(chan error, 1)
	if err := srv.AddCollection("session", "Session", provider.NewMemoryStore("session")); err != nil {
		return nil, err
	}
	if d.dir == "" {
		if err := srv.AddCollection("login", "Login", provider.NewMemoryStore("login")); err != nil {
			return nil, err
		}
		return fail, setAliases(srv, "login")
	}
	ids := []string{"login"}
	entries, _ := os.ReadDir(d.dir)
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".keyring")
		if ok && id != "login" && provider.EscapeID(id) == id && e.Type().IsRegular() {
			ids = append(ids, id)
		}
	}
	pw, err := d.c.initialPassword(ctx)
	if err != nil {
		return nil, err
	}
	if pw == nil && d.ask != nil && isTerminal(d.c.io.stdin) {
		// Started by hand in a terminal: ask now, as a login would; twice
		// when the keyring is about to be created.
		if pw, err = d.askAtStart(ctx); err != nil {
			return nil, err
		}
	}
	for _, id := range ids {
		fc := newFileCollection(filepath.Join(d.dir, id+".keyring"))
		if pw != nil {
			errc := fc.openAsync(ctx, pw)
			go func() {
				err := <-errc
				switch {
				case err == nil && id == "login":
					releaseFilePages() // the pages that only opening ran
				case err == nil:
				case id == "login":
					fail <- fmt.Errorf("serve: %w", err)
				default:
					// Another password, or unreadable: it stays
					// locked and says why.
					fmt.Fprintf(d.c.io.stderr, "moneypenny serve: %s stays locked: %v\n", fc.path, err)
				}
			}()
		}
		d.files[id] = fc
		if err := srv.AddCollection(id, label(id), fc); err != nil {
			return nil, err
		}
	}
	// The password given opens the files; if it does not open login,
	// the daemon exits anyway.
	d.mu.Lock()
	d.password = pw
	d.mu.Unlock()
	def := "login"
	if b, err := os.ReadFile(filepath.Join(d.dir, "default")); err == nil {
		if name := strings.TrimSpace(string(b)); d.files[name] != nil {
			def = name
		}
	}
	return fail, setAliases(srv, def)
}

// askAtStart asks for the login password, and for a keyring that does not
// exist yet asks again to confirm it.
func (d *daemon) askAtStart(ctx context.Context) ([]byte, error) {
	_, err := os.Stat(filepath.Join(d.dir, "login.keyring"))
	if err == nil {
		return d.ask(ctx, "Password for the login keyring: ")
	}
	pw, err := d.ask(ctx, "New password for the login keyring: ")
	if err != nil {
		return nil, err
	}
	again, err := d.ask(ctx, "Repeat the new password: ")
	defer secret.Wipe(again)
	if err != nil || string(again) != string(pw) {
		secret.Wipe(pw)
		if err == nil {
			err = errors.New("serve: the two passwords differ")
		}
		return nil, err
	}
	if len(pw) == 0 && !d.c.allowEmpty() {
		return nil, errors.New("serve: an empty password needs --allow-empty-password")
	}
	return pw, nil
}

func setAliases(srv *provider.Server, def string) error {
	for alias, id := range map[string]string{"default": def, "login": "login", "session": "session"} {
		if err := srv.SetAlias(alias, id); err != nil {
			return err
		}
	}
	return nil
}

// unlock answers a client's Unlock prompt: up to three asks. Another
// collection than login first tries the login password, as gnome-keyring
// unlocks keyrings whose password it keeps; login itself, once locked,
// always asks.
func (d *daemon) unlock(ctx context.Context, id string, st secret.Store) error {
	fc, ok := st.(*fileCollection)
	if !ok {
		return st.Unlock(ctx)
	}
	d.mu.Lock()
	known := append([]byte(nil), d.password...)
	d.mu.Unlock()
	if len(known) > 0 && id != "login" {
		err := fc.open(ctx, known)
		secret.Wipe(known)
		if err == nil {
			return nil
		}
	}
	if d.ask == nil {
		return fmt.Errorf("serve: unlock %s: no password and no prompter: %w", id, keyring.ErrDismissed)
	}
	var err error
	for range 3 {
		var pw []byte
		if pw, err = d.ask(ctx, fmt.Sprintf("Password to unlock the %q keyring: ", label(id))); err != nil {
			return err
		}
		if err = fc.open(ctx, pw); err == nil {
			d.mu.Lock()
			if d.password == nil && id == "login" {
				d.password = pw
				pw = nil
			}
			d.mu.Unlock()
			secret.Wipe(pw)
			return nil
		}
		secret.Wipe(pw)
		if !errors.Is(err, secret.ErrWrongPassword) {
			return err
		}
	}
	return fmt.Errorf("serve: unlock %s: %w", id, err)
}

// newCollection makes the file of a collection a client creates, under the
// login password.
func (d *daemon) newCollection(ctx context.Context, id, _ string) (secret.Store, error) {
	d.mu.Lock()
	pw := append([]byte(nil), d.password...)
	d.mu.Unlock()
	defer secret.Wipe(pw)
	if len(pw) == 0 {
		return nil, fmt.Errorf("serve: a new collection takes the login password; unlock login first: %w", secret.ErrLocked)
	}
	path := filepath.Join(d.dir, id+".keyring")
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("serve: %s exists", path)
	}
	fc := newFileCollection(path)
	if err := fc.open(ctx, pw); err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.files[id] = fc
	d.mu.Unlock()
	return fc, nil
}

func (d *daemon) collectionDeleted(ctx context.Context, id string) error {
	d.mu.Lock()
	fc := d.files[id]
	delete(d.files, id)
	d.mu.Unlock()
	if fc == nil {
		return nil
	}
	if err := os.Remove(fc.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	_ = os.Remove(fc.path + ".lock")
	return nil
}

// aliasChanged keeps keyrings/default as gnome-keyring writes it: the name
// of the default collection, nothing else. Without the file the default is
// login, so a removed default alias (its collection deleted) falls back to
// login rather than leaving clients with no default at all.
func (d *daemon) aliasChanged(alias, id string) {
	if alias != "default" {
		return
	}
	path := filepath.Join(d.dir, "default")
	if id == "" || id == "session" || id == "login" {
		_ = os.Remove(path)
		if id == "" {
			_ = d.srv.SetAlias("default", "login")
		}
		return
	}
	if err := writeFileAtomic(path, []byte(id)); err != nil {
		fmt.Fprintf(d.c.io.stderr, "moneypenny serve: write %s: %v\n", path, err)
	}
}

// portalCollection is where the portal keeps application secrets: the
// default collection, as gnome-keyring does.
func (d *daemon) portalCollection() string { return "default" }

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".default-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// claimPortal takes the portal backend's name (dist/moneypenny.portal),
// with the Secret Service name's rules: replaceable, and taken over from
// another moneypenny with --replace.
func claimPortal(conn *dbus.Conn, replace bool) error {
	flags := dbus.NameFlagAllowReplacement | dbus.NameFlagDoNotQueue
	if replace {
		flags |= dbus.NameFlagReplaceExisting
	}
	reply, err := conn.RequestName(provider.PortalBusName, flags)
	if err != nil {
		return fmt.Errorf("serve: request %s: %w", provider.PortalBusName, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner && reply != dbus.RequestNameReplyAlreadyOwner {
		return fmt.Errorf("serve: %s is owned by another service (use --replace to take it over)", provider.PortalBusName)
	}
	return nil
}
