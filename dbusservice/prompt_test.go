package dbusservice

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// lockedItem stores an item in the default collection and locks the
// collection, returning both.
func lockedItem(t *testing.T, s *Service) (*Collection, *Item) {
	t.Helper()
	ctx := testCtx(t)
	c := defaultCollection(t, ctx, s)
	it, err := c.Create(ctx, "locked item", secret.Attributes{"lock": "test"}, secret.NewString("behind the lock"), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Lock(ctx); err != nil {
		t.Fatalf("Lock: %v", err)
	}
	if locked, err := c.IsLocked(ctx); err != nil || !locked {
		t.Fatalf("IsLocked after Lock = %v, %v", locked, err)
	}
	return c, it
}

func TestUnlockThroughPrompter(t *testing.T) {
	k := startKeyring(t, peerConfig{prompter: true})
	s := k.connect(WithWindowID("x11:0x1234"))
	ctx := testCtx(t)
	c, it := lockedItem(t, s)

	unlocked, locked, err := s.SearchItems(ctx, secret.Attributes{"lock": "test"})
	if err != nil || len(unlocked) != 0 || len(locked) != 1 || locked[0].Path() != it.Path() {
		t.Fatalf("search in a locked collection: %d unlocked, %d locked, %v", len(unlocked), len(locked), err)
	}
	paths, err := s.Unlock(ctx, c.Path())
	if err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	if !slices.Contains(paths, c.Path()) {
		t.Fatalf("Unlock returned %v, want %s among them", paths, c.Path())
	}
	if l, _ := c.IsLocked(ctx); l {
		t.Fatal("still locked after an accepted prompt")
	}
	if got := k.prompts(); len(got) == 0 || got[0] != "password_yes" {
		t.Fatalf("prompter log %v, want a password prompt answered", got)
	}
	// Unlocking what is unlocked needs no prompt.
	before := len(k.prompts())
	if paths, err := s.Unlock(ctx, c.Path()); err != nil || !slices.Contains(paths, c.Path()) {
		t.Fatalf("second Unlock: %v %v", paths, err)
	}
	if len(k.prompts()) != before {
		t.Fatal("unlocking an unlocked collection prompted")
	}
	noMatchRulesLeft(t, s)
}

func TestAutoUnlockOnSecretRead(t *testing.T) {
	k := startKeyring(t, peerConfig{prompter: true})
	ctx := testCtx(t)

	off := k.connect(WithAutoUnlock(false))
	_, it := lockedItem(t, off)
	if _, err := off.Item(it.Path()).Secret(ctx); !errors.Is(err, secret.ErrLocked) {
		t.Fatalf("Secret of a locked item without auto-unlock: %v, want ErrLocked", err)
	}
	if len(k.prompts()) != 0 {
		t.Fatal("a prompt was shown with auto-unlock off")
	}
	on := k.connect()
	v, err := on.Item(it.Path()).Secret(ctx)
	if err != nil || string(v.Bytes()) != "behind the lock" {
		t.Fatalf("Secret with auto-unlock: %v", err)
	}
	if len(k.prompts()) == 0 {
		t.Fatal("auto-unlock did not go through the prompter")
	}
	// CreateItem into a locked collection also unlocks first.
	c, _ := lockedItem(t, on)
	if _, err := c.CreateItem(ctx, "new", secret.Attributes{"lock": "create"}, secret.NewString("x"), true); err != nil {
		t.Fatalf("CreateItem into a locked collection with auto-unlock: %v", err)
	}
}

func TestUnlockCancelledIsDismissed(t *testing.T) {
	k := startKeyring(t, peerConfig{prompter: true, cancel: true})
	s := k.connect()
	ctx := testCtx(t)
	c, it := lockedItem(t, s)
	paths, err := s.Unlock(ctx, c.Path())
	if !errors.Is(err, secret.ErrDismissed) {
		t.Fatalf("Unlock with a cancelled prompt: %v %v, want ErrDismissed", paths, err)
	}
	if slices.Contains(paths, c.Path()) {
		t.Fatal("a dismissed unlock reported the collection unlocked")
	}
	if _, err := it.Secret(ctx); !errors.Is(err, secret.ErrDismissed) {
		t.Fatalf("auto-unlock with a cancelled prompt: %v, want ErrDismissed", err)
	}
	if err := c.Unlock(ctx); !errors.Is(err, secret.ErrDismissed) {
		t.Fatalf("Collection.Unlock cancelled: %v", err)
	}
	if got := strings.Join(k.prompts(), " "); !strings.Contains(got, "password_no") {
		t.Fatalf("prompter log %q", got)
	}
}

// Without any prompter on the bus gnome-keyring completes the prompt at once
// as dismissed, possibly before Prompt returns: this only works because the
// client subscribes to Completed before calling Prompt.
func TestUnlockWithoutPrompterIsDismissed(t *testing.T) {
	k := startKeyring(t, peerConfig{})
	s := k.connect()
	ctx := testCtx(t)
	c, _ := lockedItem(t, s)
	for i := 0; i < 5; i++ {
		if _, err := s.Unlock(ctx, c.Path()); !errors.Is(err, secret.ErrDismissed) {
			t.Fatalf("attempt %d: %v, want ErrDismissed", i, err)
		}
	}
}

func TestWrongPasswordIsDismissed(t *testing.T) {
	k := startKeyring(t, peerConfig{prompter: true, promptPassword: "not the password"})
	s := k.connect()
	ctx := testCtx(t)
	c, _ := lockedItem(t, s)
	if _, err := s.Unlock(ctx, c.Path()); !errors.Is(err, secret.ErrDismissed) {
		t.Fatalf("Unlock with a wrong password: %v, want ErrDismissed after the retries", err)
	}
	if l, _ := c.IsLocked(ctx); !l {
		t.Fatal("a wrong password unlocked the collection")
	}
}

func TestCreateCollectionThroughPrompter(t *testing.T) {
	k := startKeyring(t, peerConfig{prompter: true})
	s := k.connect()
	ctx := testCtx(t)
	events, err := s.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateCollection(ctx, "Test Coll ✓", "")
	if err != nil {
		t.Fatalf("CreateCollection: %v", err)
	}
	if !strings.HasPrefix(string(c.Path()), collectionPfx+"Test") {
		t.Fatalf("collection path %s", c.Path())
	}
	if l, err := c.Label(ctx); err != nil || l != "Test Coll ✓" {
		t.Fatalf("label %q %v", l, err)
	}
	waitEvent(t, events, CollectionCreated, string(c.Path()))
	it, err := c.Create(ctx, "in new", secret.Attributes{"coll": "new"}, secret.NewString("fresh"), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetLabel(ctx, "Renamed"); err != nil {
		t.Fatal(err)
	}
	if l, _ := c.Label(ctx); l != "Renamed" {
		t.Fatalf("label after SetLabel %q", l)
	}
	all, err := s.Collections(ctx)
	if err != nil || !slices.ContainsFunc(all, func(x *Collection) bool { return x.Path() == c.Path() }) {
		t.Fatalf("Collections does not list the new one: %v", err)
	}
	// Locking and unlocking it goes through the password just chosen.
	if err := c.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Unlock(ctx); err != nil {
		t.Fatalf("Unlock of the new collection: %v", err)
	}
	if v, err := it.Secret(ctx); err != nil || string(v.Bytes()) != "fresh" {
		t.Fatalf("secret in the new collection: %v", err)
	}
	if err := c.DeleteCollection(ctx); err != nil {
		t.Fatalf("DeleteCollection: %v", err)
	}
	waitEvent(t, events, CollectionDeleted, string(c.Path()))
	if _, err := s.Collection(ctx, string(c.Path())); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("deleted collection still opens: %v", err)
	}
}

func TestCreateCollectionCancelled(t *testing.T) {
	k := startKeyring(t, peerConfig{prompter: true, cancel: true})
	s := k.connect()
	ctx := testCtx(t)
	before, err := s.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCollection(ctx, "Never", ""); !errors.Is(err, secret.ErrDismissed) {
		t.Fatalf("CreateCollection with a cancelled prompt: %v, want ErrDismissed", err)
	}
	after, _ := s.Collections(ctx)
	if len(after) != len(before) {
		t.Fatalf("a cancelled CreateCollection created something: %d -> %d collections", len(before), len(after))
	}
}

func TestAliases(t *testing.T) {
	k := startKeyring(t, peerConfig{})
	s := k.connect()
	ctx := testCtx(t)
	login := dbus.ObjectPath(collectionPfx + "login")
	for name, want := range map[string]dbus.ObjectPath{
		"default":                 login,
		"login":                   login,
		"session":                 sessionCollection,
		aliasPrefix + "default":   login,
		string(login):             login,
		string(sessionCollection): sessionCollection,
	} {
		c, err := s.Collection(ctx, name)
		if err != nil || c.Path() != want {
			t.Errorf("Collection(%q) = %v, %v; want %s", name, c, err, want)
		}
	}
	for _, name := range []string{"nope", collectionPfx + "nope", aliasPrefix + "nope"} {
		if _, err := s.Collection(ctx, name); !errors.Is(err, secret.ErrNotFound) {
			t.Errorf("Collection(%q): %v, want ErrNotFound", name, err)
		}
	}
	sess, err := s.Collection(ctx, "session")
	if err != nil {
		t.Fatal(err)
	}
	if sess.Info().Persistent {
		t.Error("the in-memory session collection reports itself persistent")
	}
	// Point default at the session collection and back.
	if err := s.SetAlias(ctx, "default", sessionCollection); err != nil {
		t.Fatalf("SetAlias: %v", err)
	}
	if p, err := s.ReadAlias(ctx, "default"); err != nil || p != sessionCollection {
		t.Fatalf("ReadAlias after SetAlias = %s, %v", p, err)
	}
	if c, err := s.DefaultCollection(ctx); err != nil || c.Path() != sessionCollection {
		t.Fatalf("DefaultCollection follows the alias: %v %v", c, err)
	}
	if err := s.SetAlias(ctx, "default", login); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAlias(ctx, "custom", login); !errors.Is(err, secret.ErrNotSupported) {
		t.Fatalf("gnome-keyring refuses aliases other than default: %v", err)
	}
}

// TestNoDefaultCollection: a service without a "default" alias is not
// papered over with a guess ("login"); creating a collection with the alias
// fixes it, which is what libsecret does on first use.
func TestNoDefaultCollection(t *testing.T) {
	k := startKeyring(t, peerConfig{noLogin: true, prompter: true})
	s := k.connect()
	ctx := testCtx(t)
	if _, err := s.ReadAlias(ctx, "default"); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("ReadAlias(default) without a login keyring: %v, want ErrNotFound", err)
	}
	if _, err := s.DefaultCollection(ctx); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("DefaultCollection: %v, want ErrNotFound", err)
	}
	if _, err := OpenCollection(ctx, "default", WithAddress(k.bus.Address)); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("OpenCollection(default): %v, want ErrNotFound", err)
	}
	c, err := s.CreateCollection(ctx, "Default keyring", "default")
	if err != nil {
		t.Fatalf("CreateCollection with alias default: %v", err)
	}
	d, err := s.DefaultCollection(ctx)
	if err != nil || d.Path() != c.Path() {
		t.Fatalf("DefaultCollection after creating it: %v, %v (created %s)", d, err, c.Path())
	}
	if _, err := d.CreateItem(ctx, "first", secret.Attributes{"first": "1"}, secret.NewString("x"), true); err != nil {
		t.Fatal(err)
	}
}
