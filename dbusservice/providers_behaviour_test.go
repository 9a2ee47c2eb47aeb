package dbusservice

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// TestProviderEmptyQueryListsEveryItem: an empty query matches every item,
// one without attributes included, on every provider (KeePassXC's
// SearchItems({}) matches nothing, kwalletd's skips items without
// attributes).
func TestProviderEmptyQueryListsEveryItem(t *testing.T) {
	forEachProvider(t, func(t *testing.T, p *provider) {
		ctx := testCtx(t)
		c := p.open(t)
		with, err := c.Create(ctx, "with attributes", secret.Attributes{"app": "mp-empty-query"}, secret.NewString("a"), false)
		if err != nil {
			t.Fatal(err)
		}
		without, err := c.Create(ctx, "without attributes", secret.Attributes{}, secret.NewString("b"), false)
		if err != nil {
			t.Fatal(err)
		}
		found, err := c.Search(ctx, secret.Attributes{})
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(found))
		for i, it := range found {
			ids[i] = it.ID()
		}
		if !slices.Contains(ids, with.ID()) || !slices.Contains(ids, without.ID()) {
			t.Fatalf("SearchItems({}) = %v, want both %s and %s", ids, with.ID(), without.ID())
		}
	})
}

// lockProvider locks the default collection the way each provider allows:
// through the Secret Service, or for KeePassXC through its own interface
// (what the user's "lock" does).
func lockProvider(t *testing.T, p *provider, c *Collection) {
	t.Helper()
	if p.is(testpeer.KeePassXCProvider) {
		p.ss.KeePassXC.Lock(t)
		return
	}
	if err := c.Lock(testCtx(t)); err != nil {
		t.Fatalf("Lock: %v", err)
	}
}

// TestProviderLockedNeverLooksEmpty: with auto-unlock off, every operation
// on a locked collection is ErrLocked on every provider: no empty search
// (KeePassXC answered one), no empty secret, no write or delete reported
// done and not done (kwalletd did both). After unlocking, the item is as it
// was. Locking twice is no error (kwalletd refused the second).
func TestProviderLockedNeverLooksEmpty(t *testing.T) {
	forEachProvider(t, func(t *testing.T, p *provider) {
		if p.is(testpeer.GnomeKeyringProvider) {
			p.bus.StartPrompter(t, testpeer.AcceptPrompts(testpeer.GnomeKeyringPassword))
		}
		ctx := testCtx(t)
		c := p.open(t)
		attrs := secret.Attributes{"app": "mp-locked"}
		it, err := c.Create(ctx, "locked item", attrs, secret.NewString("before lock"), true)
		if err != nil {
			t.Fatal(err)
		}
		lockProvider(t, p, c)
		if err := c.Lock(ctx); err != nil {
			t.Fatalf("Lock of a locked collection: %v", err)
		}
		noAuto := p.open(t, WithAutoUnlock(false))
		if items, err := noAuto.Search(ctx, attrs); !errors.Is(err, secret.ErrLocked) {
			// gnome-keyring and kwalletd search locked collections.
			if err != nil || len(items) != 1 {
				t.Fatalf("search of a locked collection: %d items, %v; want the item or ErrLocked", len(items), err)
			}
		}
		// The service-wide search too (hostmigrate's): KeePassXC's
		// answered nothing, unlocked or locked.
		if u, l, err := noAuto.svc.SearchItems(ctx, attrs); !errors.Is(err, secret.ErrLocked) {
			if err != nil || len(u)+len(l) != 1 {
				t.Fatalf("Service.SearchItems of a locked collection: %d unlocked, %d locked, %v; want the item or ErrLocked", len(u), len(l), err)
			}
		}
		locked := noAuto.svc.Item(it.Path())
		if v, err := locked.Secret(ctx); !errors.Is(err, secret.ErrLocked) {
			t.Fatalf("Secret of a locked item: %d bytes, %v; want ErrLocked", v.Len(), err)
		}
		if err := locked.SetSecret(ctx, secret.NewString("written while locked")); !errors.Is(err, secret.ErrLocked) {
			t.Fatalf("SetSecret of a locked item: %v, want ErrLocked", err)
		}
		if err := locked.Delete(ctx); !errors.Is(err, secret.ErrLocked) {
			t.Fatalf("Delete of a locked item: %v, want ErrLocked", err)
		}
		if _, err := noAuto.Create(ctx, "new while locked", secret.Attributes{"app": "mp-locked-new"}, secret.NewString("x"), false); !errors.Is(err, secret.ErrLocked) {
			t.Fatalf("CreateItem in a locked collection: %v, want ErrLocked", err)
		}

		if p.is(testpeer.KeePassXCProvider) {
			p.ss.KeePassXC.Unlock(t) // its Unlock prompt is a GUI dialog
		}
		// Auto-unlock (the default) reads through the unlock prompt.
		v, err := p.open(t).svc.Item(it.Path()).Secret(ctx)
		if err != nil || string(v.Bytes()) != "before lock" {
			t.Fatalf("after unlocking: %v (a write while locked must not have happened)", err)
		}
		if items, err := c.Search(ctx, secret.Attributes{"app": "mp-locked-new"}); err != nil || len(items) != 0 {
			t.Fatalf("the item created while locked exists: %d, %v", len(items), err)
		}
	})
}

// TestProviderReplaceExactAttributes: storing {service} with replace leaves
// the {service, username} item alone (KeePassXC and kwalletd replaced it),
// and replacing the {service} item updates its secret and label in place
// (kwalletd kept the old label), on every provider.
func TestProviderReplaceExactAttributes(t *testing.T) {
	forEachProvider(t, func(t *testing.T, p *provider) {
		ctx := testCtx(t)
		c := p.open(t)
		full := secret.Attributes{"service": "mp-replace", "username": "alice"}
		fullItem, err := c.Create(ctx, "full", full, secret.NewString("alice's"), true)
		if err != nil {
			t.Fatal(err)
		}
		short := secret.Attributes{"service": "mp-replace"}
		first, err := c.Create(ctx, "short", short, secret.NewString("service's"), true)
		if err != nil {
			t.Fatal(err)
		}
		if first.Path() == fullItem.Path() {
			t.Fatal("storing {service} replaced the {service, username} item")
		}
		second, err := c.Create(ctx, "short, relabelled", short, secret.NewString("service's, again"), true)
		if err != nil {
			t.Fatal(err)
		}
		if second.Path() != first.Path() {
			t.Fatalf("replace created %s instead of updating %s", second.Path(), first.Path())
		}
		for it, want := range map[*Item][2]string{fullItem: {"full", "alice's"}, first: {"short, relabelled", "service's, again"}} {
			l, _ := it.Label(ctx)
			v, err := it.Secret(ctx)
			if err != nil || l != want[0] || string(v.Bytes()) != want[1] {
				t.Fatalf("%s: label %q, secret ok=%v, %v; want %q", it.Path(), l, err == nil && string(v.Bytes()) == want[1], err, want[0])
			}
		}
	})
}

// TestProviderSetAttributes: SetAttributes either stores exactly what was
// asked or says it did not: KeePassXC merges and cannot remove a key.
func TestProviderSetAttributes(t *testing.T) {
	forEachProvider(t, func(t *testing.T, p *provider) {
		ctx := testCtx(t)
		c := p.open(t)
		it, err := c.Create(ctx, "attrs", secret.Attributes{"app": "mp-setattrs", "drop": "me"}, secret.NewString("x"), false)
		if err != nil {
			t.Fatal(err)
		}
		want := secret.Attributes{"app": "mp-setattrs", "kept": "yes"}
		err = it.SetAttributes(ctx, want)
		have, rerr := it.Attributes(ctx)
		if rerr != nil {
			t.Fatal(rerr)
		}
		_, dropped := have["drop"]
		switch {
		case err == nil && (dropped || have["kept"] != "yes"):
			t.Fatalf("SetAttributes reported success, the item has %v", have)
		case err != nil && !errors.Is(err, secret.ErrNotSupported):
			t.Fatalf("SetAttributes: %v, want nil or ErrNotSupported", err)
		case err != nil && !dropped:
			t.Fatalf("SetAttributes failed (%v) although the item has exactly %v", err, have)
		}
		if p.is(testpeer.KeePassXCProvider) && err == nil {
			t.Fatal("KeePassXC 2.7 cannot remove an attribute, yet SetAttributes succeeded")
		}
	})
}

// TestProviderWatchOneEventPerChange: one SetLabel is one ItemChanged
// event (KeePassXC emits each signal three times, on the collection and on
// its alias path).
func TestProviderWatchOneEventPerChange(t *testing.T) {
	forEachProvider(t, func(t *testing.T, p *provider) {
		ctx := testCtx(t)
		c := p.open(t)
		it, err := c.Create(ctx, "watched", secret.Attributes{"app": "mp-watch-once"}, secret.NewString("0"), false)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // let the creation's signals pass
		wctx, stop := context.WithCancel(ctx)
		defer stop()
		events, err := c.Watch(wctx)
		if err != nil {
			t.Fatal(err)
		}
		count := func() int {
			n := 0
			quiet := time.After(1500 * time.Millisecond)
			for {
				select {
				case ev := <-events:
					if ev.ItemID == it.ID() && ev.Kind == secret.ItemChanged {
						n++
					}
				case <-quiet:
					return n
				}
			}
		}
		for round := range 2 {
			if err := it.SetLabel(ctx, fmt.Sprint("watched, change ", round+1)); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 1 {
				t.Fatalf("change %d: %d ItemChanged events, want 1", round+1, n)
			}
		}
	})
}

// TestProviderServiceSearchEmptyQuery: Service.SearchItems with no
// attributes returns every item of every collection, on every provider.
func TestProviderServiceSearchEmptyQuery(t *testing.T) {
	forEachProvider(t, func(t *testing.T, p *provider) {
		ctx := testCtx(t)
		c := p.open(t)
		it, err := c.Create(ctx, "listed", secret.Attributes{}, secret.NewString("x"), false)
		if err != nil {
			t.Fatal(err)
		}
		unlocked, locked, err := p.connect().SearchItems(ctx, secret.Attributes{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(unlocked, func(i *Item) bool { return i.Path() == it.Path() }) {
			t.Fatalf("SearchItems({}) = %d unlocked, %d locked; the new item is not among the unlocked", len(unlocked), len(locked))
		}
	})
}

// TestProviderCreateCollection: a new collection through the service's
// prompt, where the provider can do it headlessly.
func TestProviderCreateCollection(t *testing.T) {
	forEachProvider(t, func(t *testing.T, p *provider) {
		switch {
		case p.is(testpeer.KeePassXCProvider):
			p.ss.CannotHeadlessly(t, "create a collection", "its new-database wizard is a GUI dialog")
		case p.is(testpeer.KWalletProvider):
			p.ss.CannotHeadlessly(t, "create a collection", "its new-wallet wizard is a GUI dialog, and kwalletd queues every later open behind it")
		}
		p.bus.StartPrompter(t, testpeer.AcceptPrompts("new collection pw"))
		ctx := testCtx(t)
		c, err := p.connect().CreateCollection(ctx, "Created ✓", "")
		if err != nil {
			t.Fatalf("CreateCollection: %v", err)
		}
		it, err := c.Create(ctx, "in the new collection", secret.Attributes{"app": "mp-new-coll"}, secret.NewString("x"), false)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := it.Secret(ctx); err != nil || string(v.Bytes()) != "x" {
			t.Fatalf("reading back: %v", err)
		}
	})
}
