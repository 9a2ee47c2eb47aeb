package filekeyring

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/membound"
	"github.com/moneypenny-go/keyring/internal/storetest"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

func tempPath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "keyrings", "default.keyring")
}

func mustOpen(t testing.TB, path, pw string, opts ...Option) *Keyring {
	t.Helper()
	k, err := Open(context.Background(), path, []byte(pw), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

func copyFile(t testing.TB, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "default.keyring")
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

func lookup(t testing.TB, k *Keyring, attrs secret.Attributes) []string {
	t.Helper()
	ctx := context.Background()
	items, err := k.SearchItems(ctx, attrs)
	if err != nil {
		t.Fatalf("SearchItems(%v): %v", attrs, err)
	}
	var out []string
	for _, it := range items {
		v, err := it.Secret(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(v.Bytes()))
	}
	return out
}

func TestStoreSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) secret.Store {
		k, err := Open(context.Background(), tempPath(t), []byte("suite password"))
		if err != nil {
			t.Fatal(err)
		}
		return k
	})
}

func TestLibsecretFixture(t *testing.T) {
	path := copyFile(t, testpeer.Fixture(t, "libsecret/default.keyring"))
	k := mustOpen(t, path, "password")
	if got := hex.EncodeToString(k.key); got != "739f0377686f475263969a36934764fe" {
		t.Fatalf("key = %s", got)
	}
	if got := hex.EncodeToString(hashValue(k.key, "a")); got != "bcb183f176d9fa019d1af48b6b2e88c89fcfe3c2a392dcf00e624256f03161c2" {
		t.Fatalf("HMAC(a) = %s", got)
	}
	ctx := context.Background()
	items, err := k.SearchItems(ctx, secret.Attributes{"foo": "a"})
	if err != nil || len(items) != 1 {
		t.Fatalf("search foo=a: %d items, %v", len(items), err)
	}
	label, _ := items[0].Label(ctx)
	v, _ := items[0].Secret(ctx)
	attrs, _ := items[0].Attributes(ctx)
	created, _ := items[0].Created(ctx)
	if label != "label1" || string(v.Bytes()) != "test1" || !attrs.Equal(secret.Attributes{"foo": "a", "bar": "b", "baz": "c"}) || created.Unix() != 1567068275 {
		t.Fatalf("item = %q %q %v %v", label, v.Bytes(), attrs, created)
	}
}

func TestOO7Fixture(t *testing.T) {
	k := mustOpen(t, copyFile(t, testpeer.Fixture(t, "oo7/client/default.keyring")), "test")
	if got := lookup(t, k, secret.Attributes{"xdg:schema": "org.gnome.keyring.Note"}); len(got) != 1 || got[0] != "foo" {
		t.Fatalf("oo7 item = %q", got)
	}
}

func TestOwnFixture(t *testing.T) {
	path := copyFile(t, "../testdata/filekeyring/libsecret-v1.keyring")
	k := mustOpen(t, path, "moneypenny-v1")
	ctx := context.Background()
	items, err := k.Items(ctx)
	if err != nil || len(items) != 3 {
		t.Fatalf("Items: %d, %v", len(items), err)
	}
	want := []struct{ label, secret string }{
		{"Postgres (prod) — bob", "p@ss w0rd! ünïcødé"},
		{"Multi-line note", "line one\nline two\n\ttabbed\n"},
		{"GitHub token for alice", "ghp_v1REPLACED0123456789"},
	}
	for i, w := range want {
		l, _ := items[i].Label(ctx)
		v, _ := items[i].Secret(ctx)
		if l != w.label || string(v.Bytes()) != w.secret {
			t.Errorf("item %d = %q/%q, want %q/%q", i, l, v.Bytes(), w.label, w.secret)
		}
	}
}

// TestRoundTripUnchanged: a file we only read is never rewritten, and a
// file we rewrite without changes to its items keeps every item's bytes.
func TestByteIdenticalReencode(t *testing.T) {
	data, err := os.ReadFile("../testdata/filekeyring/libsecret-v1.keyring")
	if err != nil {
		t.Fatal(err)
	}
	c, err := parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.encode(), data) {
		t.Fatal("parse→encode is not byte-identical to libsecret's file")
	}
}

func TestWrongPasswordWritesNothing(t *testing.T) {
	path := copyFile(t, "../testdata/filekeyring/libsecret-v1.keyring")
	before, _ := os.ReadFile(path)
	_, err := Open(context.Background(), path, []byte("not the password"))
	if !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("Open with a wrong password: %v, want ErrWrongPassword", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("a wrong password changed the file")
	}
	if _, err := ReadFile(path, []byte("nope")); !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("ReadFile: %v", err)
	}
}

func TestRefusesForeignFiles(t *testing.T) {
	legacy, err := os.ReadFile("../testdata/legacykeyring/login.keyring")
	if err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile("../testdata/filekeyring/libsecret-v1.keyring")
	v2 := bytes.Clone(good)
	v2[16] = 2
	cases := map[string]struct {
		data []byte
		want error
	}{
		"legacy v0":   {legacy, secret.ErrUnsupportedFormat},
		"version 2.0": {v2, secret.ErrUnsupportedFormat},
		"not keyring": {[]byte("hello world, this is not a keyring"), secret.ErrUnsupportedFormat},
		"truncated":   {good[:len(good)-7], secret.ErrCorrupt},
		"empty":       {nil, secret.ErrUnsupportedFormat},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "default.keyring")
			if err := os.WriteFile(path, c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(context.Background(), path, []byte("moneypenny-v1"))
			if !errors.Is(err, c.want) {
				t.Fatalf("Open: %v, want %v", err, c.want)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(path)) {
				t.Errorf("error %q does not name the file", err)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, c.data) {
				t.Fatal("a foreign file was modified")
			}
		})
	}
}

func TestNoFileUntilFirstWrite(t *testing.T) {
	path := tempPath(t)
	k := mustOpen(t, path, "pw")
	if got := lookup(t, k, secret.Attributes{"a": "b"}); len(got) != 0 {
		t.Fatal(got)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("reading created the file: %v", err)
	}
	ctx := context.Background()
	if _, err := k.CreateItem(ctx, "l", secret.Attributes{"a": "b"}, secret.NewString("s"), true); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(filepath.Dir(path))
	if di.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", di.Mode().Perm())
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestExactAttributesWritten(t *testing.T) {
	path := tempPath(t)
	k := mustOpen(t, path, "pw")
	ctx := context.Background()
	if _, err := k.CreateItem(ctx, "l", secret.Attributes{"service": "s", "username": "u"}, secret.NewWithContentType([]byte{0, 1}, secret.ContentTypeBinary), false); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	c, err := parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.items) != 1 || len(c.items[0].hashed) != 2 || c.items[0].hashed[0].Name != "service" || c.items[0].hashed[1].Name != "username" {
		t.Fatalf("hashed attributes = %+v", c.items[0].hashed)
	}
}

func TestBrokenItemsKeptUntilRepair(t *testing.T) {
	path := tempPath(t)
	ctx := context.Background()
	a := mustOpen(t, path, "password A")
	if _, err := a.CreateItem(ctx, "A", secret.Attributes{"who": "a"}, secret.NewString("secret a"), true); err != nil {
		t.Fatal(err)
	}
	// Append an item under another key, as libsecret does when a process
	// with another password stores into the same file.
	data, _ := os.ReadFile(path)
	c, _ := parse(data)
	other := deriveKey([]byte("password B"), c.salt, c.iterations)
	s, err := encrypt(other, &decrypted{attrs: secret.Attributes{"who": "b"}, label: "B", secret: []byte("secret b")})
	if err != nil {
		t.Fatal(err)
	}
	c.items = append(c.items, s)
	if err := os.WriteFile(path, c.encode(), 0o600); err != nil {
		t.Fatal(err)
	}
	foreign := bytes.Clone(s.blob)

	k := mustOpen(t, path, "password A")
	if n, _ := k.Broken(ctx); n != 1 {
		t.Fatalf("Broken = %d, want 1", n)
	}
	if got := lookup(t, k, nil); len(got) != 1 || got[0] != "secret a" {
		t.Fatalf("items = %q", got)
	}
	if _, err := k.CreateItem(ctx, "C", secret.Attributes{"who": "c"}, secret.NewString("secret c"), true); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	if !bytes.Contains(data, foreign) {
		t.Fatal("a write destroyed the item encrypted under another key")
	}
	if err := k.ChangePassword(ctx, []byte("password A"), []byte("new")); !errors.Is(err, secret.ErrCorrupt) {
		t.Fatalf("ChangePassword with a broken item: %v, want refusal", err)
	}
	if n, err := k.Repair(ctx); n != 1 || err != nil {
		t.Fatalf("Repair = %d, %v", n, err)
	}
	if n, _ := k.Broken(ctx); n != 0 {
		t.Fatalf("Broken after repair = %d", n)
	}
	if got := lookup(t, k, nil); len(got) != 2 {
		t.Fatalf("items after repair = %q", got)
	}
	// A password that opens only the foreign item is not "wrong".
	b := mustOpen(t, copyFileBytes(t, append([]byte(nil), data...)), "password B")
	if got := lookup(t, b, nil); len(got) != 1 || got[0] != "secret b" {
		t.Fatalf("items under B = %q", got)
	}
}

func copyFileBytes(t testing.TB, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "k.keyring")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestChangePassword(t *testing.T) {
	path := copyFile(t, "../testdata/filekeyring/libsecret-v1.keyring")
	ctx := context.Background()
	k := mustOpen(t, path, "moneypenny-v1")
	old, _ := parse(mustRead(t, path))
	if err := k.ChangePassword(ctx, []byte("moneypenny-v1"), []byte("brand new")); err != nil {
		t.Fatal(err)
	}
	c, _ := parse(mustRead(t, path))
	if bytes.Equal(c.salt, old.salt) || c.usage != 0 || len(c.items) != 3 {
		t.Fatalf("after change: salt changed %v, usage %d, %d items", !bytes.Equal(c.salt, old.salt), c.usage, len(c.items))
	}
	if _, err := Open(ctx, path, []byte("moneypenny-v1")); !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("old password still opens: %v", err)
	}
	k2 := mustOpen(t, path, "brand new")
	if got := lookup(t, k2, secret.Attributes{"username": "alice"}); len(got) != 1 || got[0] != "ghp_v1REPLACED0123456789" {
		t.Fatalf("after change = %q", got)
	}
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLockUnlock(t *testing.T) {
	ctx := context.Background()
	path := copyFile(t, "../testdata/filekeyring/libsecret-v1.keyring")
	asked := 0
	k, err := Open(ctx, path, nil, WithPrompt(func(context.Context) ([]byte, error) {
		asked++
		return []byte("moneypenny-v1"), nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if asked != 1 {
		t.Fatalf("prompted %d times", asked)
	}
	if err := k.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if locked, _ := k.IsLocked(ctx); !locked {
		t.Fatal("not locked after Lock")
	}
	if _, err := k.Items(ctx); !errors.Is(err, secret.ErrLocked) {
		t.Fatalf("Items while locked: %v", err)
	}
	if err := k.Unlock(ctx); err != nil || asked != 2 {
		t.Fatalf("Unlock: %v, prompted %d", err, asked)
	}
	if got := lookup(t, k, secret.Attributes{"kind": "multiline"}); len(got) != 1 {
		t.Fatal(got)
	}
	if err := k.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := k.UnlockWithPassword(ctx, []byte("wrong")); !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("UnlockWithPassword(wrong): %v", err)
	}
	if err := k.UnlockWithPassword(ctx, []byte("moneypenny-v1")); err != nil {
		t.Fatal(err)
	}
}

// memCache is a KeyCache in memory.
type memCache struct {
	mu   sync.Mutex
	keys map[string][]byte
}

func (m *memCache) Key(_ context.Context, id string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[id]
	return bytes.Clone(k), ok
}
func (m *memCache) StoreKey(_ context.Context, id string, key []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[id] = bytes.Clone(key)
	return nil
}
func (m *memCache) ForgetKey(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, id)
	return nil
}

func TestKeyCache(t *testing.T) {
	ctx := context.Background()
	cache := &memCache{keys: map[string][]byte{}}
	path := copyFile(t, "../testdata/filekeyring/libsecret-v1.keyring")
	mustOpen(t, path, "moneypenny-v1", WithKeyCache(cache))
	if len(cache.keys) != 1 {
		t.Fatalf("cache holds %d keys", len(cache.keys))
	}
	for _, v := range cache.keys {
		if bytes.Contains(v, []byte("moneypenny-v1")) {
			t.Fatal("the cache holds the password")
		}
	}
	noPrompt := WithPrompt(func(context.Context) ([]byte, error) {
		return nil, errors.New("must not prompt with a warm cache")
	})
	k, err := Open(ctx, path, nil, WithKeyCache(cache), noPrompt)
	if err != nil {
		t.Fatalf("Open with a warm cache: %v", err)
	}
	if got := lookup(t, k, secret.Attributes{"kind": "multiline"}); len(got) != 1 {
		t.Fatal(got)
	}
	if err := k.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	k.Close()
	if len(cache.keys) != 0 {
		t.Fatal("Lock did not drop the cached key")
	}
	if _, err := Open(ctx, path, nil, WithKeyCache(cache)); !errors.Is(err, secret.ErrLocked) {
		t.Fatalf("Open after Lock without a password: %v, want ErrLocked", err)
	}
}

func TestReadOnly(t *testing.T) {
	path := copyFile(t, "../testdata/filekeyring/libsecret-v1.keyring")
	before := mustRead(t, path)
	k := mustOpen(t, path, "moneypenny-v1", WithReadOnly())
	ctx := context.Background()
	if _, err := k.CreateItem(ctx, "x", secret.Attributes{"a": "b"}, secret.NewString("x"), true); !errors.Is(err, secret.ErrReadOnly) {
		t.Fatalf("CreateItem read-only: %v", err)
	}
	if _, err := k.Delete(ctx, nil); !errors.Is(err, secret.ErrReadOnly) {
		t.Fatalf("Delete read-only: %v", err)
	}
	if !bytes.Equal(before, mustRead(t, path)) {
		t.Fatal("read-only keyring changed the file")
	}
}

// TestConcurrentWriters: keyrings opened separately (each its own lock
// file descriptor, as separate processes have) never lose each other's
// items.
func TestConcurrentWriters(t *testing.T) {
	path := tempPath(t)
	ctx := context.Background()
	const writers, each = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		k := mustOpen(t, path, "shared")
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				attrs := secret.Attributes{"writer": string(rune('a' + w)), "n": string(rune('0' + i))}
				if _, err := k.CreateItem(ctx, "x", attrs, secret.NewString("v"), true); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	k := mustOpen(t, path, "shared")
	if got := lookup(t, k, nil); len(got) != writers*each {
		t.Fatalf("%d items after concurrent writes, want %d", len(got), writers*each)
	}
}

// TestWriterThatDoesNotLock simulates libsecret replacing the file between
// our load and our write: our change is re-applied on top of theirs.
func TestWriterThatDoesNotLock(t *testing.T) {
	path := tempPath(t)
	ctx := context.Background()
	k := mustOpen(t, path, "pw")
	if _, err := k.CreateItem(ctx, "first", secret.Attributes{"n": "1"}, secret.NewString("one"), true); err != nil {
		t.Fatal(err)
	}
	other := mustOpen(t, path, "pw")
	if _, err := other.CreateItem(ctx, "theirs", secret.Attributes{"n": "2"}, secret.NewString("two"), true); err != nil {
		t.Fatal(err)
	}
	// k still holds the old contents; its next write must not drop "theirs".
	if _, err := k.CreateItem(ctx, "ours", secret.Attributes{"n": "3"}, secret.NewString("three"), true); err != nil {
		t.Fatal(err)
	}
	if got := lookup(t, mustOpen(t, path, "pw"), nil); len(got) != 3 {
		t.Fatalf("items = %q, want 3", got)
	}
}

func TestWatchSeesOtherWriters(t *testing.T) {
	path := tempPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k := mustOpen(t, path, "pw")
	if _, err := k.CreateItem(ctx, "seed", secret.Attributes{"n": "0"}, secret.NewString("0"), true); err != nil {
		t.Fatal(err)
	}
	events, err := k.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other := mustOpen(t, path, "pw")
	if _, err := other.CreateItem(ctx, "new", secret.Attributes{"n": "1"}, secret.NewString("1"), true); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev.Kind != secret.ItemCreated {
			t.Fatalf("event %v, want created", ev)
		}
		items, _ := k.SearchItems(ctx, secret.Attributes{"n": "1"})
		if len(items) != 1 || items[0].ID() != ev.ItemID {
			t.Fatalf("event for %q does not name the new item", ev.ItemID)
		}
	case <-ctx.Done():
		t.Fatal("no event for another writer's item")
	}
}

func TestReplaceKeepsCreatedAcrossClock(t *testing.T) {
	now := int64(1000)
	path := tempPath(t)
	k := mustOpen(t, path, "pw", withClock(func() int64 { return now }))
	ctx := context.Background()
	attrs := secret.Attributes{"a": "1"}
	if _, err := k.CreateItem(ctx, "v1", attrs, secret.NewString("1"), true); err != nil {
		t.Fatal(err)
	}
	now = 2000
	it, err := k.CreateItem(ctx, "v2", attrs, secret.NewString("2"), true)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := it.Created(ctx)
	m, _ := it.Modified(ctx)
	if c.Unix() != 1000 || m.Unix() != 2000 {
		t.Fatalf("created %d modified %d", c.Unix(), m.Unix())
	}
	data, _ := parse(mustRead(t, path))
	if data.usage != 2 || data.modified != 2000 || len(data.items) != 1 {
		t.Fatalf("usage %d modified %d items %d", data.usage, data.modified, len(data.items))
	}
}

func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../testdata/filekeyring/libsecret-v1.keyring"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(magic + "\x01\x00"))
	f.Add(denseKeyring(2))
	for _, b := range hostileKeyrings() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c *contents
		var err error
		membound.CheckQuick(t, len(b), maxAllocFactor, func() { c, err = parse(b) })
		if err != nil {
			return
		}
		if _, err := parse(c.encode()); err != nil {
			t.Fatalf("re-encoded file does not parse: %v", err)
		}
	})
}

// TestSecretReadsFollowTheKey: secrets are read with an AES block kept
// for the key; after the key changes (ChangePassword re-encrypts every item
// under a new one) and after a lock, the same handle reads the right secret.
func TestSecretReadsFollowTheKey(t *testing.T) {
	path := copyFile(t, "../testdata/filekeyring/libsecret-v1.keyring")
	ctx := context.Background()
	k := mustOpen(t, path, "moneypenny-v1")
	items, err := k.SearchItems(ctx, secret.Attributes{"username": "alice"})
	if err != nil || len(items) != 1 {
		t.Fatalf("search: %v %v", items, err)
	}
	read := func(when string) {
		t.Helper()
		v, err := items[0].Secret(ctx)
		if err != nil || string(v.Bytes()) != "ghp_v1REPLACED0123456789" {
			t.Fatalf("%s: wrong secret, %v", when, err)
		}
		v.Wipe()
	}
	read("first read")
	if err := k.ChangePassword(ctx, []byte("moneypenny-v1"), []byte("brand new")); err != nil {
		t.Fatal(err)
	}
	read("after ChangePassword")
	if err := k.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := items[0].Secret(ctx); !errors.Is(err, secret.ErrLocked) {
		t.Fatalf("read while locked: %v", err)
	}
}
