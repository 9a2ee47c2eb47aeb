// Package storetest is the behavioural contract every secret.Store must meet:
// one suite that the file keyring, the Secret Service collection, keyctl, the
// Credential Manager and the Keychain adapters all run, so that the same API
// means the same behaviour on every platform.
//
// Each subtest scopes its items with a unique attribute (storetest-run), so
// the suite can run against a shared store such as a real gnome-keyring
// collection without seeing or touching anything else in it.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// Options describes the quirks a backend is allowed to have.
type Options struct {
	// AddsAttributes allows the backend to return attributes the caller did
	// not set (gnome-keyring adds xdg:schema to items stored without one).
	AddsAttributes bool
	// LargeSecret is the size of the large-secret round trip; 0 means 16 KiB.
	LargeSecret int
	// NoWatch declares that Watch is not offered: the suite then checks that
	// it fails with secret.ErrNotSupported instead of delivering events.
	NoWatch bool
}

// Factory returns a Store for one subtest. The suite closes it.
type Factory func(t *testing.T) secret.Store

// Run runs the whole suite.
func Run(t *testing.T, open Factory, opts ...Options) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.LargeSecret == 0 {
		o.LargeSecret = 16 << 10
	}
	s := suite{open: open, o: o}
	t.Run("CreateAndSearch", s.createAndSearch)
	t.Run("SubsetSearch", s.subsetSearch)
	t.Run("NoMatchIsEmpty", s.noMatchIsEmpty)
	t.Run("ReplaceExactSet", s.replaceExactSet)
	t.Run("ReplaceIgnoresSupersets", s.replaceIgnoresSupersets)
	t.Run("ReplaceKeepsCreated", s.replaceKeepsCreated)
	t.Run("DeleteEveryMatch", s.deleteEveryMatch)
	t.Run("ItemSetters", s.itemSetters)
	t.Run("ItemDelete", s.itemDelete)
	t.Run("BinaryAndLargeSecrets", s.binaryAndLarge)
	t.Run("Unicode", s.unicode)
	t.Run("CreateItemsBatch", s.createItemsBatch)
	t.Run("ItemsListsAll", s.itemsListsAll)
	t.Run("CancelledContext", s.cancelledContext)
	t.Run("InfoAndRedaction", s.infoAndRedaction)
	t.Run("Close", s.close)
	if o.NoWatch {
		t.Run("WatchNotSupported", s.watchNotSupported)
	} else {
		t.Run("Watch", s.watch)
	}
}

type suite struct {
	open Factory
	o    Options
}

// fixture gives a subtest its store, a context and a run id.
func (s suite) fixture(t *testing.T) (context.Context, secret.Store, string) {
	t.Helper()
	st := s.open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	run := runID()
	t.Cleanup(func() {
		_, _ = st.Delete(context.Background(), secret.Attributes{"storetest-run": run})
		_ = st.Close()
		cancel()
	})
	return ctx, st, run
}

func runID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s suite) checkAttrs(t *testing.T, got, want secret.Attributes) {
	t.Helper()
	if s.o.AddsAttributes {
		if !got.Matches(want) {
			t.Fatalf("attributes %v do not contain %v", got, want)
		}
		return
	}
	if !got.Equal(want) {
		t.Fatalf("attributes %v, want exactly %v", got, want)
	}
}

func mustSecret(t *testing.T, ctx context.Context, it secret.Item) []byte {
	t.Helper()
	v, err := it.Secret(ctx)
	if err != nil {
		t.Fatalf("Secret: %v", err)
	}
	b := append([]byte(nil), v.Bytes()...)
	v.Wipe()
	return b
}

func search(t *testing.T, ctx context.Context, st secret.Store, q secret.Attributes) []secret.Item {
	t.Helper()
	items, err := st.SearchItems(ctx, q)
	if err != nil {
		t.Fatalf("SearchItems(%v): %v", q, err)
	}
	return items
}

func (s suite) createAndSearch(t *testing.T) {
	ctx, st, run := s.fixture(t)
	attrs := secret.Attributes{"storetest-run": run, "service": "github.com", "username": "alice"}
	it, err := st.CreateItem(ctx, "GitHub token", attrs, secret.NewString("ghp_token1"), true)
	if err != nil {
		t.Fatalf("CreateItem: %v", err)
	}
	if it.ID() == "" {
		t.Fatal("item has an empty ID")
	}
	items := search(t, ctx, st, attrs)
	if len(items) != 1 {
		t.Fatalf("found %d items, want 1", len(items))
	}
	got := items[0]
	if got.ID() != it.ID() {
		t.Fatalf("search returned ID %q, created %q", got.ID(), it.ID())
	}
	if l, err := got.Label(ctx); err != nil || l != "GitHub token" {
		t.Fatalf("Label = %q, %v", l, err)
	}
	a, err := got.Attributes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.checkAttrs(t, a, attrs)
	if b := mustSecret(t, ctx, got); string(b) != "ghp_token1" {
		t.Fatalf("secret mismatch (%d bytes)", len(b))
	}
	c, err := got.Created(ctx)
	if err != nil || c.IsZero() {
		t.Fatalf("Created = %v, %v", c, err)
	}
	if d := time.Since(c); d < -2*time.Second || d > time.Hour {
		t.Fatalf("Created %v is not about now", c)
	}
	m, err := got.Modified(ctx)
	if err != nil || m.Before(c.Add(-time.Second)) {
		t.Fatalf("Modified = %v (created %v), %v", m, c, err)
	}
}

func (s suite) subsetSearch(t *testing.T) {
	ctx, st, run := s.fixture(t)
	for i, user := range []string{"alice", "bob", "carol"} {
		attrs := secret.Attributes{"storetest-run": run, "service": "svc", "username": user}
		if i == 2 {
			attrs["service"] = "other"
		}
		if _, err := st.CreateItem(ctx, "item "+user, attrs, secret.NewString("pw-"+user), true); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(search(t, ctx, st, secret.Attributes{"storetest-run": run})); n != 3 {
		t.Fatalf("run query found %d, want 3", n)
	}
	got := search(t, ctx, st, secret.Attributes{"storetest-run": run, "service": "svc"})
	if len(got) != 2 {
		t.Fatalf("service=svc found %d, want 2", len(got))
	}
	got = search(t, ctx, st, secret.Attributes{"storetest-run": run, "username": "bob"})
	if len(got) != 1 || string(mustSecret(t, ctx, got[0])) != "pw-bob" {
		t.Fatalf("username=bob: %d items", len(got))
	}
	if n := len(search(t, ctx, st, secret.Attributes{"storetest-run": run, "service": "svc", "username": "carol"})); n != 0 {
		t.Fatalf("a query no item fully matches found %d", n)
	}
}

func (s suite) noMatchIsEmpty(t *testing.T) {
	ctx, st, run := s.fixture(t)
	items, err := st.SearchItems(ctx, secret.Attributes{"storetest-run": run, "absent": "x"})
	if err != nil {
		t.Fatalf("no match must not be an error: %v", err)
	}
	if len(items) != 0 {
		t.Fatalf("found %d", len(items))
	}
	n, err := st.Delete(ctx, secret.Attributes{"storetest-run": run, "absent": "x"})
	if err != nil || n != 0 {
		t.Fatalf("Delete of nothing = %d, %v", n, err)
	}
}

func (s suite) replaceExactSet(t *testing.T) {
	ctx, st, run := s.fixture(t)
	attrs := secret.Attributes{"storetest-run": run, "service": "svc", "username": "u"}
	if _, err := st.CreateItem(ctx, "first", attrs, secret.NewString("one"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateItem(ctx, "second", attrs, secret.NewString("two"), true); err != nil {
		t.Fatal(err)
	}
	got := search(t, ctx, st, attrs)
	if len(got) != 1 {
		t.Fatalf("replace left %d items, want 1", len(got))
	}
	if l, _ := got[0].Label(ctx); l != "second" {
		t.Fatalf("label %q after replace", l)
	}
	if string(mustSecret(t, ctx, got[0])) != "two" {
		t.Fatal("secret not replaced")
	}
	// A superset of the attributes is a different item: replace must not touch it.
	super := attrs.Clone()
	super["extra"] = "1"
	if _, err := st.CreateItem(ctx, "super", super, secret.NewString("three"), true); err != nil {
		t.Fatal(err)
	}
	if n := len(search(t, ctx, st, attrs)); n != 2 {
		t.Fatalf("after storing a superset: %d items match, want 2", n)
	}
	exact := search(t, ctx, st, super)
	if len(exact) != 1 || string(mustSecret(t, ctx, exact[0])) != "three" {
		t.Fatal("superset item missing")
	}
}

// replaceIgnoresSupersets: replacing {a} must not overwrite the {a, b}
// item, the mirror image of ReplaceExactSet (KeePassXC and kwalletd
// replace the first item whose attributes contain the given ones).
func (s suite) replaceIgnoresSupersets(t *testing.T) {
	ctx, st, run := s.fixture(t)
	full := secret.Attributes{"storetest-run": run, "service": "svc", "username": "u"}
	if _, err := st.CreateItem(ctx, "full", full, secret.NewString("full"), true); err != nil {
		t.Fatal(err)
	}
	short := secret.Attributes{"storetest-run": run, "service": "svc"}
	if _, err := st.CreateItem(ctx, "short", short, secret.NewString("short"), true); err != nil {
		t.Fatal(err)
	}
	if n := len(search(t, ctx, st, short)); n != 2 {
		t.Fatalf("after storing a subset with replace: %d items match it, want 2", n)
	}
	got := search(t, ctx, st, full)
	if len(got) != 1 || string(mustSecret(t, ctx, got[0])) != "full" {
		t.Fatal("storing a subset of its attributes replaced the fuller item")
	}
	if l, _ := got[0].Label(ctx); l != "full" {
		t.Fatalf("the fuller item's label is now %q", l)
	}
}

func (s suite) replaceKeepsCreated(t *testing.T) {
	ctx, st, run := s.fixture(t)
	attrs := secret.Attributes{"storetest-run": run, "k": "v"}
	it, err := st.CreateItem(ctx, "a", attrs, secret.NewString("1"), true)
	if err != nil {
		t.Fatal(err)
	}
	c1, err := it.Created(ctx)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // timestamps are whole seconds in most backends
	if _, err := st.CreateItem(ctx, "b", attrs, secret.NewString("2"), true); err != nil {
		t.Fatal(err)
	}
	got := search(t, ctx, st, attrs)
	if len(got) != 1 {
		t.Fatalf("%d items", len(got))
	}
	c2, _ := got[0].Created(ctx)
	m2, _ := got[0].Modified(ctx)
	if !c2.Equal(c1) {
		t.Fatalf("replace changed created from %v to %v", c1, c2)
	}
	if !m2.After(c1) {
		t.Fatalf("modified %v not after created %v", m2, c1)
	}
}

func (s suite) deleteEveryMatch(t *testing.T) {
	ctx, st, run := s.fixture(t)
	for i := 0; i < 3; i++ {
		attrs := secret.Attributes{"storetest-run": run, "group": "g", "n": fmt.Sprint(i)}
		if _, err := st.CreateItem(ctx, "x", attrs, secret.NewString("s"), false); err != nil {
			t.Fatal(err)
		}
	}
	keep := secret.Attributes{"storetest-run": run, "group": "other"}
	if _, err := st.CreateItem(ctx, "keep", keep, secret.NewString("k"), false); err != nil {
		t.Fatal(err)
	}
	n, err := st.Delete(ctx, secret.Attributes{"storetest-run": run, "group": "g"})
	if err != nil || n != 3 {
		t.Fatalf("Delete = %d, %v; want 3", n, err)
	}
	if len(search(t, ctx, st, secret.Attributes{"storetest-run": run, "group": "g"})) != 0 {
		t.Fatal("deleted items still found")
	}
	if len(search(t, ctx, st, keep)) != 1 {
		t.Fatal("an unrelated item was deleted")
	}
}

func (s suite) itemSetters(t *testing.T) {
	ctx, st, run := s.fixture(t)
	attrs := secret.Attributes{"storetest-run": run, "k": "v"}
	it, err := st.CreateItem(ctx, "old label", attrs, secret.NewString("old"), true)
	if err != nil {
		t.Fatal(err)
	}
	created, _ := it.Created(ctx)
	time.Sleep(1100 * time.Millisecond)
	if err := it.SetLabel(ctx, "new label"); err != nil {
		t.Fatalf("SetLabel: %v", err)
	}
	if err := it.SetSecret(ctx, secret.NewString("new")); err != nil {
		t.Fatalf("SetSecret: %v", err)
	}
	got := search(t, ctx, st, attrs)
	if len(got) != 1 {
		t.Fatalf("%d items after setters", len(got))
	}
	if l, _ := got[0].Label(ctx); l != "new label" {
		t.Fatalf("label %q", l)
	}
	if string(mustSecret(t, ctx, got[0])) != "new" {
		t.Fatal("SetSecret not visible")
	}
	if c, _ := got[0].Created(ctx); !c.Equal(created) {
		t.Fatalf("setters changed created %v -> %v", created, c)
	}
	if m, _ := got[0].Modified(ctx); !m.After(created) {
		t.Fatalf("modified %v not bumped past %v", m, created)
	}
	newAttrs := secret.Attributes{"storetest-run": run, "k": "w", "added": "yes"}
	if err := got[0].SetAttributes(ctx, newAttrs); err != nil {
		t.Fatalf("SetAttributes: %v", err)
	}
	if len(search(t, ctx, st, attrs)) != 0 {
		t.Fatal("old attributes still match")
	}
	moved := search(t, ctx, st, newAttrs)
	if len(moved) != 1 || string(mustSecret(t, ctx, moved[0])) != "new" {
		t.Fatal("item not found under its new attributes")
	}
	a, _ := moved[0].Attributes(ctx)
	s.checkAttrs(t, a, newAttrs)
}

func (s suite) itemDelete(t *testing.T) {
	ctx, st, run := s.fixture(t)
	a1 := secret.Attributes{"storetest-run": run, "k": "1"}
	// a2 is a superset of a1: deleting the first item must not delete it
	// (oo7's file Item.delete did, through a subset match).
	a2 := secret.Attributes{"storetest-run": run, "k": "1", "more": "x"}
	it, err := st.CreateItem(ctx, "one", a1, secret.NewString("1"), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateItem(ctx, "two", a2, secret.NewString("2"), true); err != nil {
		t.Fatal(err)
	}
	if err := it.Delete(ctx); err != nil {
		t.Fatalf("Item.Delete: %v", err)
	}
	rest := search(t, ctx, st, secret.Attributes{"storetest-run": run})
	if len(rest) != 1 {
		t.Fatalf("%d items left, want 1", len(rest))
	}
	if l, _ := rest[0].Label(ctx); l != "two" {
		t.Fatalf("wrong item deleted; left %q", l)
	}
}

func (s suite) binaryAndLarge(t *testing.T) {
	ctx, st, run := s.fixture(t)
	bin := make([]byte, 256)
	for i := range bin {
		bin[i] = byte(i)
	}
	large := make([]byte, s.o.LargeSecret)
	_, _ = rand.Read(large)
	for name, want := range map[string][]byte{"binary": bin, "large": large, "empty": {}} {
		attrs := secret.Attributes{"storetest-run": run, "kind": name}
		v := secret.NewWithContentType(append([]byte(nil), want...), secret.ContentTypeBinary)
		if _, err := st.CreateItem(ctx, name, attrs, v, true); err != nil {
			t.Fatalf("%s: CreateItem: %v", name, err)
		}
		got := search(t, ctx, st, attrs)
		if len(got) != 1 {
			t.Fatalf("%s: %d items", name, len(got))
		}
		if b := mustSecret(t, ctx, got[0]); !bytes.Equal(b, want) {
			t.Fatalf("%s: secret differs (%d bytes, want %d)", name, len(b), len(want))
		}
	}
}

func (s suite) unicode(t *testing.T) {
	ctx, st, run := s.fixture(t)
	attrs := secret.Attributes{"storetest-run": run, "sérvice": "Ünïcødé ✓", "user": "名前"}
	label := "Postgres (prod) — bob ✓"
	if _, err := st.CreateItem(ctx, label, attrs, secret.NewString("pässwörd ✓"), true); err != nil {
		t.Fatal(err)
	}
	got := search(t, ctx, st, secret.Attributes{"storetest-run": run, "user": "名前"})
	if len(got) != 1 {
		t.Fatalf("%d items", len(got))
	}
	if l, _ := got[0].Label(ctx); l != label {
		t.Fatalf("label %q", l)
	}
	if string(mustSecret(t, ctx, got[0])) != "pässwörd ✓" {
		t.Fatal("secret differs")
	}
	a, _ := got[0].Attributes(ctx)
	s.checkAttrs(t, a, attrs)
}

func (s suite) createItemsBatch(t *testing.T) {
	ctx, st, run := s.fixture(t)
	var batch []secret.NewItem
	for i := 0; i < 20; i++ {
		batch = append(batch, secret.NewItem{
			Label:      fmt.Sprintf("item %d", i),
			Attributes: secret.Attributes{"storetest-run": run, "n": fmt.Sprint(i)},
			Secret:     secret.NewString(fmt.Sprintf("secret %d", i)),
			Replace:    true,
		})
	}
	items, err := st.CreateItems(ctx, batch)
	if err != nil {
		t.Fatalf("CreateItems: %v", err)
	}
	if len(items) != len(batch) {
		t.Fatalf("CreateItems returned %d items for %d", len(items), len(batch))
	}
	for i := range batch {
		got := search(t, ctx, st, secret.Attributes{"storetest-run": run, "n": fmt.Sprint(i)})
		if len(got) != 1 || string(mustSecret(t, ctx, got[0])) != fmt.Sprintf("secret %d", i) {
			t.Fatalf("batch item %d missing or wrong", i)
		}
	}
}

func (s suite) itemsListsAll(t *testing.T) {
	ctx, st, run := s.fixture(t)
	want := map[string]bool{}
	for i := 0; i < 3; i++ {
		l := fmt.Sprintf("listed %s %d", run, i)
		want[l] = true
		if _, err := st.CreateItem(ctx, l, secret.Attributes{"storetest-run": run, "n": fmt.Sprint(i)}, secret.NewString("x"), true); err != nil {
			t.Fatal(err)
		}
	}
	all, err := st.Items(ctx)
	if err != nil {
		t.Fatalf("Items: %v", err)
	}
	var found []string
	for _, it := range all {
		l, err := it.Label(ctx)
		if err != nil {
			continue // items of others may be locked or unreadable
		}
		if want[l] {
			found = append(found, l)
		}
	}
	sort.Strings(found)
	if len(found) != 3 {
		t.Fatalf("Items listed %d of our 3 items (%v)", len(found), found)
	}
}

func (s suite) cancelledContext(t *testing.T) {
	_, st, run := s.fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := st.CreateItem(ctx, "x", secret.Attributes{"storetest-run": run}, secret.NewString("x"), true)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateItem with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := st.SearchItems(ctx, secret.Attributes{"storetest-run": run}); !errors.Is(err, context.Canceled) {
		t.Fatalf("SearchItems with a cancelled context: %v, want context.Canceled", err)
	}
}

func (s suite) infoAndRedaction(t *testing.T) {
	ctx, st, run := s.fixture(t)
	info := st.Info()
	if info.Name == "" {
		t.Fatal("Info().Name is empty")
	}
	attrs := secret.Attributes{"storetest-run": run}
	if _, err := st.CreateItem(ctx, "r", attrs, secret.NewString("hunter2-redaction-probe"), true); err != nil {
		t.Fatal(err)
	}
	got := search(t, ctx, st, attrs)
	if len(got) != 1 {
		t.Fatalf("%d items", len(got))
	}
	v, err := got[0].Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"%v", "%s", "%q", "%x", "%#v", "%+v"} {
		if out := fmt.Sprintf(f, v); bytes.Contains([]byte(out), []byte("hunter2")) || out != "[REDACTED]" {
			t.Fatalf("%s formats a secret as %q", f, out)
		}
	}
	if out := fmt.Sprintf("%v %+v", got[0], got); bytes.Contains([]byte(out), []byte("hunter2")) {
		t.Fatalf("formatting an item leaks its secret: %q", out)
	}
	v.Wipe()
}

func (s suite) close(t *testing.T) {
	st := s.open(t)
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, err := st.SearchItems(context.Background(), secret.Attributes{"storetest-run": runID()})
	if !errors.Is(err, secret.ErrClosed) {
		t.Fatalf("SearchItems after Close: %v, want ErrClosed", err)
	}
}

func (s suite) watch(t *testing.T) {
	ctx, st, run := s.fixture(t)
	wctx, stop := context.WithCancel(ctx)
	events, err := st.Watch(wctx)
	if err != nil {
		stop()
		t.Fatalf("Watch: %v", err)
	}
	it, err := st.CreateItem(ctx, "watched", secret.Attributes{"storetest-run": run}, secret.NewString("x"), true)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	deadline := time.After(20 * time.Second)
	for created := false; !created; {
		select {
		case ev, ok := <-events:
			if !ok {
				stop()
				t.Fatal("event channel closed early")
			}
			created = ev.Kind == secret.ItemCreated && ev.ItemID == it.ID()
		case <-deadline:
			stop()
			t.Fatal("no created event for the new item within 20s")
		}
	}
	stop()
	closed := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return
			}
		case <-closed:
			t.Fatal("event channel not closed after the context ended")
		}
	}
}

func (s suite) watchNotSupported(t *testing.T) {
	ctx, st, _ := s.fixture(t)
	if _, err := st.Watch(ctx); !errors.Is(err, secret.ErrNotSupported) {
		t.Fatalf("Watch = %v, want an error wrapping ErrNotSupported", err)
	}
}
