package dbusservice

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// forger is a third client on the bus that sends signals in the Secret
// Service's name: broadcast (which the match rules' sender filter stops) and
// addressed to one connection (which no match rule stops). A second
// connection, a bus monitor, tells it when a client calls Prompt, so the
// forgery lands while the real prompt is pending.
type forger struct {
	t     *testing.T
	conn  *dbus.Conn
	calls chan *dbus.Message // method calls the monitor saw
}

func newForger(t *testing.T, addr string) *forger {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &forger{t: t, conn: conn}
}

// monitor starts watching the method calls that match rule (a match rule
// string) and delivers them to f.calls.
func (f *forger) monitor(addr, rule string) {
	f.t.Helper()
	mon, err := dbus.Connect(addr)
	if err != nil {
		f.t.Fatal(err)
	}
	all := make(chan *dbus.Message, 64)
	// Everything the connection receives from now on goes to all, the
	// reply to BecomeMonitor included: the call itself is never waited for.
	mon.Eavesdrop(all)
	f.t.Cleanup(func() {
		// godbus's Close closes the eavesdrop channel but may still send a
		// message it read meanwhile to it; take the channel back first.
		mon.Eavesdrop(nil)
		close(all)
		_ = mon.Close()
	})
	mon.BusObject().Go("org.freedesktop.DBus.Monitoring.BecomeMonitor", 0, nil, []string{rule}, uint32(0))
	deadline := time.After(10 * time.Second)
	for started := false; !started; {
		select {
		case m := <-all:
			// NameAcquired from Hello may still come first; the
			// connection has made no other call.
			switch {
			case m.Type == dbus.TypeError:
				f.t.Fatalf("BecomeMonitor: %v", m)
			case m.Type == dbus.TypeMethodReply:
				started = true
			}
		case <-deadline:
			f.t.Fatal("no reply to BecomeMonitor")
		}
	}
	f.calls = make(chan *dbus.Message, 64)
	go func() {
		for m := range all {
			if m.Type == dbus.TypeMethodCall {
				select {
				case f.calls <- m:
				default:
				}
			}
		}
	}()
}

// waitCall returns the object path of the next monitored call from sender.
func (f *forger) waitCall(sender string) dbus.ObjectPath {
	f.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case m := <-f.calls:
			if s, _ := m.Headers[dbus.FieldSender].Value().(string); s == sender {
				p, _ := m.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
				return p
			}
		case <-deadline:
			f.t.Fatal("the monitored call never came")
		}
	}
}

// forge sends the signal twice: broadcast, and addressed to dest alone.
func (f *forger) forge(dest string, path dbus.ObjectPath, name string, body ...any) {
	f.t.Helper()
	if err := f.conn.Emit(path, name, body...); err != nil {
		f.t.Fatal(err)
	}
	sendSignalTo(f.t, f.conn, dest, path, name, body...)
	// A round trip to dest: once it answers, dest has read the forgeries,
	// so anything the test does next reaches it after them.
	if err := f.conn.Object(dest, "/").Call("org.freedesktop.DBus.Peer.Ping", 0).Err; err != nil {
		f.t.Fatalf("ping %s: %v", dest, err)
	}
}

// sendSignalTo sends a unicast signal from conn to dest.
func sendSignalTo(t *testing.T, conn *dbus.Conn, dest string, path dbus.ObjectPath, name string, body ...any) {
	t.Helper()
	i := len(name) - 1
	for name[i] != '.' {
		i--
	}
	msg := &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldPath:        dbus.MakeVariant(path),
		dbus.FieldInterface:   dbus.MakeVariant(name[:i]),
		dbus.FieldMember:      dbus.MakeVariant(name[i+1:]),
		dbus.FieldDestination: dbus.MakeVariant(dest),
	}, Body: body}
	if len(body) > 0 {
		msg.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(body...))
	}
	if err := conn.Send(msg, nil).Err; err != nil {
		t.Fatal(err)
	}
}

func uniqueName(s *Service) string { return s.conn.Names()[0] }

// TestForgedCompletedIsIgnored: while gnome-keyring's unlock prompt is
// pending (the scripted user answers only when the test says so), another
// client sends
// our connection the opposite Completed. Unlock must report what the real
// prompt said, and the collection's real state must agree.
func TestForgedCompletedIsIgnored(t *testing.T) {
	for _, tc := range []struct {
		name        string
		userCancels bool // what the real user does
	}{
		{"forged success while the user cancels", true},
		{"forged dismissal while the user accepts", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := startKeyring(t, peerConfig{prompter: true, cancel: tc.userCancels, holdPrompts: true})
			s := k.connect()
			ctx := testCtx(t)
			c, _ := lockedItem(t, s)
			f := newForger(t, k.bus.Address)
			f.monitor(k.bus.Address, "type='method_call',interface='"+ifacePrompt+"',member='Prompt'")

			type result struct {
				paths []dbus.ObjectPath
				err   error
			}
			done := make(chan result, 1)
			go func() {
				paths, err := s.Unlock(ctx, c.Path())
				done <- result{paths, err}
			}()
			prompt := f.waitCall(uniqueName(s))
			f.forge(uniqueName(s), prompt, ifacePrompt+".Completed", !tc.userCancels,
				dbus.MakeVariant([]dbus.ObjectPath{c.Path()}))
			// The forgeries have arrived; only now does the user answer.
			select {
			case r := <-done:
				t.Fatalf("Unlock returned before the user answered: %v, %v", r.paths, r.err)
			case <-time.After(200 * time.Millisecond):
			}
			k.releasePrompts()

			r := <-done
			locked, err := c.IsLocked(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tc.userCancels {
				if !errors.Is(r.err, secret.ErrDismissed) || slices.Contains(r.paths, c.Path()) || !locked {
					t.Fatalf("Unlock = %v, %v (locked now: %v); want ErrDismissed from the real prompt", r.paths, r.err, locked)
				}
			} else if r.err != nil || !slices.Contains(r.paths, c.Path()) || locked {
				t.Fatalf("Unlock = %v, %v (locked now: %v); want success from the real prompt", r.paths, r.err, locked)
			}
			noMatchRulesLeft(t, s)
		})
	}
}

// TestForgedWatchSignalsAreIgnored: forged item and collection signals from
// another client never become events; the real ones that follow do.
func TestForgedWatchSignalsAreIgnored(t *testing.T) {
	k := startKeyring(t, peerConfig{})
	s := k.connect()
	other := k.connect()
	ctx := testCtx(t)
	c := defaultCollection(t, ctx, s)
	svcEvents, err := s.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	collEvents, err := c.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	real, err := c.Create(ctx, "real", secret.Attributes{"spoof": "victim"}, secret.NewString("x"), true)
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, svcEvents, secret.ItemCreated, real.ID())
	waitEvent(t, collEvents, secret.ItemCreated, real.ID())

	f := newForger(t, k.bus.Address)
	dest := uniqueName(s)
	f.forge(dest, c.Path(), ifaceCollection+".ItemDeleted", real.Path())
	f.forge(dest, c.Path(), ifaceCollection+".ItemCreated", c.Path()+"/forged")
	f.forge(dest, servicePath, ifaceService+".CollectionDeleted", c.Path())

	oc, err := other.DefaultCollection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next, err := oc.Create(ctx, "after the forgeries", secret.Attributes{"spoof": "after"}, secret.NewString("y"), true)
	if err != nil {
		t.Fatal(err)
	}
	for name, events := range map[string]<-chan secret.Event{"Service.Watch": svcEvents, "Collection.Watch": collEvents} {
		select {
		case ev := <-events:
			if ev.Kind != secret.ItemCreated || ev.ItemID != next.ID() {
				t.Fatalf("%s delivered %v %s before the real event: a forged signal got through", name, ev.Kind, ev.ItemID)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the real ItemCreated never came", name)
		}
	}
	if _, err := real.Secret(ctx); err != nil {
		t.Fatalf("the item the forger claimed deleted: %v", err)
	}
}

// TestFakePromptServiceReplaced: the service is replaced by a new process
// while its prompt is up, and the new owner of the name emits Completed for
// the old prompt's path. That process never saw the prompt, so the wait ends
// with ErrUnavailable instead of believing it (and instead of waiting for
// the deadline).
func TestFakePromptServiceReplaced(t *testing.T) {
	f := startFake(t, false, func(f *fakeService) map[string]any {
		return map[string]any{"Prompt.Prompt": func(string) *dbus.Error {
			go func() {
				time.Sleep(100 * time.Millisecond)
				successor := f.replace()
				// A broadcast from the name's owner passes every match
				// rule; only the tracking of the owner can tell.
				if err := successor.Emit(fakePrompt, ifacePrompt+".Completed", false,
					dbus.MakeVariant([]dbus.ObjectPath{fakeColl})); err != nil {
					f.t.Errorf("emit: %v", err)
				}
			}()
			return nil
		}}
	})
	s := f.mustConnect()
	ctx := testCtx(t)
	paths, err := s.Unlock(ctx, fakeColl)
	if !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("Unlock across a service replacement = %v, %v; want ErrUnavailable", paths, err)
	}
	if ctx.Err() != nil {
		t.Fatal("the prompt wait only ended with the test's deadline")
	}
	noMatchRulesLeft(t, s)
}

// TestFakeWatchFollowsReplacedService: after the service is replaced, Watch
// believes the new owner of the name and no longer the old process, which is
// still on the bus and could send anything.
func TestFakeWatchFollowsReplacedService(t *testing.T) {
	f := startFake(t, false, nil)
	s := f.mustConnect()
	ctx := testCtx(t)
	events, err := s.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The old owner is believed while it owns the name.
	if err := f.conn.Emit(fakeColl, ifaceCollection+".ItemChanged", fakeItem); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev.Kind != secret.ItemChanged || ev.ItemID != string(fakeItem) {
			t.Fatalf("event %v %s", ev.Kind, ev.ItemID)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the owner's ItemChanged never came")
	}

	successor := f.replace()
	// The replaced process addresses a signal to the client directly, then
	// makes sure it has arrived.
	sendSignalTo(t, f.conn, uniqueName(s), fakeColl, ifaceCollection+".ItemDeleted", fakeItem)
	if err := f.conn.Object(uniqueName(s), "/").Call("org.freedesktop.DBus.Peer.Ping", 0).Err; err != nil {
		t.Fatal(err)
	}
	created := fakeColl + "/2"
	if err := successor.Emit(fakeColl, ifaceCollection+".ItemCreated", created); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev.Kind != secret.ItemCreated || ev.ItemID != string(created) {
			t.Fatalf("Watch delivered %v %s: the replaced process was believed", ev.Kind, ev.ItemID)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the new owner's ItemCreated never came")
	}
}

// TestWatchFollowsRestartedGnomeKeyring: after gnome-keyring-daemon dies and
// a new one takes the name, Watch believes the new process.
func TestWatchFollowsRestartedGnomeKeyring(t *testing.T) {
	k := startKeyring(t, peerConfig{})
	s := k.connect()
	ctx := testCtx(t)
	events, err := s.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	k.daemon.Kill(t)
	k.daemon = k.bus.StartGnomeKeyring(t, loginPassword)
	other := k.connect()
	it, err := defaultCollection(t, ctx, other).Create(ctx, "after the restart",
		secret.Attributes{"restart": "1"}, secret.NewString("x"), true)
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, secret.ItemCreated, it.ID())
}

// TestPromptEndsWhenGnomeKeyringDies: the daemon dies while its unlock
// prompt is pending; Unlock returns ErrUnavailable at once.
func TestPromptEndsWhenGnomeKeyringDies(t *testing.T) {
	k := startKeyring(t, peerConfig{prompter: true, holdPrompts: true})
	s := k.connect()
	ctx := testCtx(t)
	c, _ := lockedItem(t, s)
	f := newForger(t, k.bus.Address)
	f.monitor(k.bus.Address, "type='method_call',interface='"+ifacePrompt+"',member='Prompt'")
	done := make(chan error, 1)
	go func() {
		_, err := s.Unlock(ctx, c.Path())
		done <- err
	}()
	f.waitCall(uniqueName(s))
	k.daemon.Kill(t)
	select {
	case err := <-done:
		if !errors.Is(err, secret.ErrUnavailable) {
			t.Fatalf("Unlock while the daemon died: %v, want ErrUnavailable", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Unlock still waiting after the daemon died")
	}
}
