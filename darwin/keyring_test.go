package darwin

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/storetest"
	"github.com/moneypenny-go/keyring/secret"
)

// The keyring logic against the SecItem model: the behaviour every backend
// must have, plus the Keychain specifics. keychain_darwin_test.go runs the
// behavioural suite against the real Keychain on macOS.

func openModel(t *testing.T, m *secModel, opts ...Option) *Keyring {
	t.Helper()
	k, err := Open(context.Background(), append([]Option{func(c *config) { c.api = m }}, opts...)...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return k
}

func TestStoreOnModel(t *testing.T) {
	m := newModel()
	storetest.Run(t, func(t *testing.T) secret.Store { return openModel(t, m) }, storetest.Options{NoWatch: true})
}

func TestItemsShareServiceAndUsername(t *testing.T) {
	ctx := context.Background()
	m := newModel()
	k := openModel(t, m)
	pair := secret.Attributes{"service": "svc", "username": "alice"}
	rich := secret.Attributes{"service": "svc", "username": "alice", "xdg:schema": "org.example.Password"}
	for _, a := range []secret.Attributes{pair, rich} {
		if _, err := k.CreateItem(ctx, "x", a, secret.NewString(a.String()), true); err != nil {
			t.Fatalf("CreateItem(%v): %v", a, err)
		}
	}
	if len(m.items) != 2 {
		t.Fatalf("%d keychain items, want 2", len(m.items))
	}
	if m.items[0].Account != "alice" {
		t.Fatalf("pair-like set stored under account %q, want the bare username", m.items[0].Account)
	}
	if !strings.HasPrefix(m.items[1].Account, "alice #") {
		t.Fatalf("richer set stored under account %q", m.items[1].Account)
	}
	items, err := k.SearchItems(ctx, pair)
	if err != nil || len(items) != 2 {
		t.Fatalf("subset search found %d, %v", len(items), err)
	}
}

func TestSearchNarrowsOnService(t *testing.T) {
	ctx := context.Background()
	m := newModel()
	k := openModel(t, m)
	if _, err := k.SearchItems(ctx, secret.Attributes{"service": "github.com", "username": "alice", "x": "1"}); err != nil {
		t.Fatal(err)
	}
	q := m.calls[len(m.calls)-1]
	if q[kSecAttrService] != "github.com" || q[kSecMatchLimit] != kSecMatchLimitAll || q[kSecReturnAttributes] != true {
		t.Fatalf("search query %v", q)
	}
	if _, set := q[kSecReturnData]; set {
		t.Fatal("a search must not ask for data (one prompt per item on macOS)")
	}
}

func TestReplaceUsesUpdate(t *testing.T) {
	ctx := context.Background()
	m := newModel()
	k := openModel(t, m)
	attrs := secret.Attributes{"service": "svc", "username": "u", "k": "v"}
	if _, err := k.CreateItem(ctx, "one", attrs, secret.NewString("1"), true); err != nil {
		t.Fatal(err)
	}
	created := m.items[0].Created
	m.items[0].Created = created.Add(-time.Hour) // made long ago
	if _, err := k.CreateItem(ctx, "two", attrs, secret.NewString("2"), true); err != nil {
		t.Fatal(err)
	}
	if len(m.items) != 1 || m.items[0].Label != "two" || string(m.items[0].Data) != "2" {
		t.Fatalf("replace left %d items", len(m.items))
	}
	if !m.items[0].Created.Equal(created.Add(-time.Hour)) {
		t.Fatal("replace did not go through SecItemUpdate (creation date changed)")
	}
}

func TestDuplicateWithoutReplace(t *testing.T) {
	ctx := context.Background()
	m := newModel()
	k := openModel(t, m)
	attrs := secret.Attributes{"service": "svc", "username": "u"}
	a, err := k.CreateItem(ctx, "a", attrs, secret.NewString("1"), false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := k.CreateItem(ctx, "b", attrs, secret.NewString("2"), false)
	if err != nil {
		t.Fatalf("second CreateItem without replace: %v", err)
	}
	if a.ID() == b.ID() {
		t.Fatal("two items share an ID")
	}
	items, _ := k.SearchItems(ctx, attrs)
	if len(items) != 2 {
		t.Fatalf("%d items", len(items))
	}
	for _, it := range items {
		if got, _ := it.Attributes(ctx); !got.Equal(attrs) {
			t.Fatalf("attributes %v", got)
		}
	}
}

// goKeyringItem is what zalando/go-keyring leaves in the Keychain:
// `security add-generic-password -U -s S -a U -w go-keyring-base64:...`,
// label = service, no kSecAttrGeneric.
func goKeyringItem(t *testing.T, m *secModel, service, user, value string) {
	t.Helper()
	err := m.add(context.Background(), dict{kSecClass: kSecClassGenericPassword,
		kSecAttrService: service, kSecAttrAccount: user, kSecAttrLabel: service, kSecValueData: []byte(value)})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGoKeyringInterop(t *testing.T) {
	ctx := context.Background()
	m := newModel()
	k := openModel(t, m)
	goKeyringItem(t, m, "gh", "alice", "go-keyring-base64:cMOkc3N3w7ZyZA==") // "pässwörd"
	goKeyringItem(t, m, "gh", "bob", "plain")
	goKeyringItem(t, m, "other-app", "x", "y")

	pair := secret.Attributes{"service": "gh", "username": "alice"}
	items, err := k.SearchItems(ctx, pair)
	if err != nil || len(items) != 1 {
		t.Fatalf("SearchItems(%v) = %d, %v", pair, len(items), err)
	}
	v, err := items[0].Secret(ctx)
	if err != nil || string(v.Bytes()) != "pässwörd" {
		t.Fatalf("secret %q, %v", v.Bytes(), err)
	}
	if a, _ := items[0].Attributes(ctx); !a.Equal(pair) {
		t.Fatalf("attributes %v", a)
	}
	if all, _ := k.SearchItems(ctx, secret.Attributes{"service": "gh"}); len(all) != 2 {
		t.Fatalf("{service} found %d, want 2", len(all))
	}
	if all, _ := k.Items(ctx); len(all) != 0 {
		t.Fatalf("Items lists %d items of other programs", len(all))
	}
	if n, _ := k.SearchItems(ctx, secret.Attributes{"service": "gh", "username": "alice", "x": "1"}); len(n) != 0 {
		t.Fatal("a richer query matched another program's item")
	}

	// Replace updates the very item go-keyring reads, with raw data.
	if _, err := k.CreateItem(ctx, "Alice", pair, secret.NewString("new"), true); err != nil {
		t.Fatal(err)
	}
	if len(m.items) != 3 || string(m.items[0].Data) != "new" || m.items[0].Account != "alice" {
		t.Fatalf("replace did not update the go-keyring item in place")
	}
	if l, _ := items[0].Label(ctx); l != "Alice" {
		t.Fatalf("label %q", l)
	}
}

func TestSetAttributesMoves(t *testing.T) {
	ctx := context.Background()
	m := newModel()
	k := openModel(t, m)
	goKeyringItem(t, m, "gh", "carol", "go-keyring-encoded:686578") // "hex"
	items, _ := k.SearchItems(ctx, secret.Attributes{"service": "gh", "username": "carol"})
	if len(items) != 1 {
		t.Fatal("go-keyring item not found")
	}
	na := secret.Attributes{"service": "gitlab", "username": "carol", "team": "x"}
	if err := items[0].SetAttributes(ctx, na); err != nil {
		t.Fatal(err)
	}
	if got, _ := items[0].Attributes(ctx); !got.Equal(na) {
		t.Fatalf("attributes %v", got)
	}
	if v, _ := items[0].Secret(ctx); string(v.Bytes()) != "hex" {
		t.Fatalf("secret %q: go-keyring's encoding must be undone once when the item becomes ours", v.Bytes())
	}
	if m.items[0].Service != "gitlab" || !strings.HasPrefix(m.items[0].Account, "carol #") {
		t.Fatalf("keychain item now %q/%q", m.items[0].Service, m.items[0].Account)
	}
}

func TestErrorsAndNotSupported(t *testing.T) {
	ctx := context.Background()
	k := openModel(t, newModel())
	if _, err := k.CreateItem(ctx, "bad\x00label", secret.Attributes{}, secret.NewString("x"), true); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Fatalf("NUL in label = %v", err)
	}
	if err := k.Lock(ctx); !errors.Is(err, secret.ErrNotSupported) {
		t.Fatal(err)
	}
	if err := k.Unlock(ctx); !errors.Is(err, secret.ErrNotSupported) {
		t.Fatal(err)
	}
	if locked, err := k.IsLocked(ctx); locked || err != nil {
		t.Fatal(locked, err)
	}
	if i := k.Info(); i.Name != "keychain" || !i.Persistent {
		t.Fatalf("Info %+v", i)
	}
	it, err := k.CreateItem(ctx, "x", secret.Attributes{"a": "b"}, secret.NewString("x"), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := it.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := it.Secret(ctx); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("Secret of a deleted item = %v", err)
	}
}
