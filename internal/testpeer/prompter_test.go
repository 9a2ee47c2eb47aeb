package testpeer

import (
	"context"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// secretService is a bare Secret Service client for checking the prompter
// against gnome-keyring without the project's own client.
type secretService struct {
	t    *testing.T
	ctx  context.Context
	conn *dbus.Conn
}

func (s *secretService) call(path dbus.ObjectPath, method string, args ...any) *dbus.Call {
	return s.conn.Object(SecretsName, path).CallWithContext(s.ctx, method, 0, args...)
}

// prompt runs a Secret Service prompt to its Completed signal.
func (s *secretService) prompt(p dbus.ObjectPath) (dismissed bool, result dbus.Variant) {
	s.t.Helper()
	if p == "/" {
		s.t.Fatal("no prompt to run")
	}
	ch := make(chan *dbus.Signal, 8)
	s.conn.Signal(ch)
	defer s.conn.RemoveSignal(ch)
	if err := s.conn.AddMatchSignalContext(s.ctx, dbus.WithMatchObjectPath(p),
		dbus.WithMatchInterface("org.freedesktop.Secret.Prompt"), dbus.WithMatchMember("Completed")); err != nil {
		s.t.Fatal(err)
	}
	if err := s.call(p, "org.freedesktop.Secret.Prompt.Prompt", "").Err; err != nil {
		s.t.Fatalf("Prompt: %v", err)
	}
	for {
		select {
		case sig := <-ch:
			if sig.Path == p && sig.Name == "org.freedesktop.Secret.Prompt.Completed" && len(sig.Body) == 2 {
				dismissed, _ = sig.Body[0].(bool)
				result, _ = sig.Body[1].(dbus.Variant)
				return dismissed, result
			}
		case <-s.ctx.Done():
			s.t.Fatalf("prompt %s did not complete: %v", p, s.ctx.Err())
		}
	}
}

func (s *secretService) locked(coll dbus.ObjectPath) bool {
	s.t.Helper()
	var v dbus.Variant
	if err := s.call(coll, "org.freedesktop.DBus.Properties.Get", "org.freedesktop.Secret.Collection", "Locked").Store(&v); err != nil {
		s.t.Fatal(err)
	}
	return v.Value() == true
}

func (s *secretService) lock(coll dbus.ObjectPath) {
	s.t.Helper()
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := s.call(SecretsPath, "org.freedesktop.Secret.Service.Lock", []dbus.ObjectPath{coll}).Store(&locked, &prompt); err != nil || !s.locked(coll) {
		s.t.Fatalf("Lock: %v %v %v", locked, prompt, err)
	}
}

// unlock asks to unlock coll, runs the prompt, and reports whether it was
// dismissed.
func (s *secretService) unlock(coll dbus.ObjectPath) bool {
	s.t.Helper()
	var unlocked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := s.call(SecretsPath, "org.freedesktop.Secret.Service.Unlock", []dbus.ObjectPath{coll}).Store(&unlocked, &prompt); err != nil {
		s.t.Fatalf("Unlock: %v", err)
	}
	if prompt == "/" {
		s.t.Fatalf("Unlock of a locked collection did not prompt (unlocked %v)", unlocked)
	}
	dismissed, _ := s.prompt(prompt)
	return dismissed
}

func TestPrompterCreateAndUnlock(t *testing.T) {
	b := NewBus(t)
	k := b.StartGnomeKeyringWithoutLogin(t)
	pr := b.StartPrompter(t, AcceptPrompts("new-pw"))
	ctx := testCtx(t)
	s := &secretService{t: t, ctx: ctx, conn: b.Conn(t)}

	// CreateCollection needs the prompter: the new password comes from it.
	var coll, prompt dbus.ObjectPath
	props := map[string]dbus.Variant{"org.freedesktop.Secret.Collection.Label": dbus.MakeVariant("Testpeer")}
	if err := s.call(SecretsPath, "org.freedesktop.Secret.Service.CreateCollection", props, "default").Store(&coll, &prompt); err != nil {
		t.Fatalf("CreateCollection: %v", err)
	}
	dismissed, result := s.prompt(prompt)
	coll, _ = result.Value().(dbus.ObjectPath)
	if dismissed || !strings.HasPrefix(string(coll), "/org/freedesktop/secrets/collection/") {
		t.Fatalf("CreateCollection prompt: dismissed=%v result=%v\n%s", dismissed, result, tail(k.Log(), 2000))
	}
	if p, err := k.DefaultCollection(ctx); err != nil || p != coll {
		t.Fatalf("default alias = %q, %v; want %q", p, err, coll)
	}
	first := pr.Prompts()
	if len(first) == 0 || first[0].Type != PasswordPrompt || !first[0].PasswordNew || first[0].Message == "" {
		t.Fatalf("create prompts: %+v", first)
	}

	t.Run("unlock-accepted", func(t *testing.T) {
		s.t = t
		s.lock(coll)
		before := len(pr.Prompts())
		if s.unlock(coll) || s.locked(coll) {
			t.Fatal("unlock with the right password failed")
		}
		got := pr.Prompts()[before:]
		if len(got) != 1 || got[0].Type != PasswordPrompt || got[0].PasswordNew || got[0].Warning != "" {
			t.Fatalf("unlock prompts: %+v", got)
		}
		if got[0].Title != "Unlock Keyring" || !strings.Contains(got[0].Description, "Testpeer") {
			t.Errorf("unlock prompt texts: %+v", got[0])
		}
	})

	t.Run("unlock-dismissed", func(t *testing.T) {
		s.t = t
		s.lock(coll)
		pr.SetAnswer(DismissPrompts)
		if !s.unlock(coll) || !s.locked(coll) {
			t.Fatal("a dismissed unlock prompt must leave the collection locked and report dismissed")
		}
	})

	t.Run("unlock-wrong-password", func(t *testing.T) {
		s.t = t
		pr.SetAnswer(AcceptPrompts("wrong-pw"))
		before := len(pr.Prompts())
		if !s.unlock(coll) || !s.locked(coll) {
			t.Fatal("unlock with a wrong password must end dismissed, locked")
		}
		got := pr.Prompts()[before:]
		// gnome-keyring asks again, with a warning, until the prompter
		// gives up after MaxAttempts.
		if len(got) != MaxAttempts+1 || got[1].Warning == "" || got[len(got)-1].Attempt != MaxAttempts+1 {
			t.Fatalf("wrong-password prompts: %+v", got)
		}
	})

	t.Run("unlock-after-retry", func(t *testing.T) {
		s.t = t
		before := len(pr.Prompts())
		pr.SetAnswer(func(p Prompt) Answer {
			if p.Attempt == 1 {
				return Answer{Continue: true, Password: "wrong-pw"}
			}
			return Answer{Continue: true, Password: "new-pw"}
		})
		if s.unlock(coll) || s.locked(coll) {
			t.Fatal("the second, right password must unlock")
		}
		if got := pr.Prompts()[before:]; len(got) != 2 {
			t.Fatalf("prompts: %+v", got)
		}
	})

	// gcr reads the prompter's property values boxed twice; a value boxed
	// once is dropped with a GLib-CRITICAL (and a NULL kept in its place).
	if strings.Contains(k.Log(), "CRITICAL") {
		t.Errorf("gnome-keyring logged criticals while talking to the prompter:\n%s", tail(k.Log(), 3000))
	}
}

func TestPrompterNameTaken(t *testing.T) {
	b := NewBus(t)
	b.StartPrompter(t, DismissPrompts)
	ft := &fatalRecorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		b.StartPrompter(ft, DismissPrompts)
	}()
	if !strings.Contains(ft.msg, "cannot own") {
		t.Fatalf("second prompter on one bus: %q", ft.msg)
	}
}
