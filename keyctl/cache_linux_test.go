//go:build linux

package keyctl

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/secret"
	"golang.org/x/sys/unix"
)

// newTestCache returns a cache with a unique keyring name, removed when the
// test ends.
func newTestCache(t *testing.T, opts ...CacheOption) *KeyCache {
	t.Helper()
	needSession(t)
	c := NewKeyCache(append([]CacheOption{WithCacheName("moneypenny-test-cache-" + randomHex(6))}, opts...)...)
	t.Cleanup(func() {
		if ring, ok, _ := c.ring(false); ok {
			_ = invalidateKey(ring)
		}
	})
	return c
}

// cacheEntry returns the serial of the entry for id, or 0.
func cacheEntry(t *testing.T, c *KeyCache, id string) int {
	t.Helper()
	ring, ok, err := c.ring(false)
	if err != nil || !ok {
		return 0
	}
	kid, err := searchKeyring(ring, "user", cacheDescription(id))
	if err != nil {
		return 0
	}
	return kid
}

func TestKeyCacheRoundTrip(t *testing.T) {
	c := newTestCache(t)
	ctx := testCtx(t)
	id := "/home/alice/.local/share/keyrings/default.keyring#salt"
	if _, ok := c.Key(ctx, id); ok {
		t.Fatal("Key found an entry in an empty cache")
	}
	if err := c.ForgetKey(ctx, id); err != nil {
		t.Fatalf("ForgetKey with no cache: %v", err)
	}
	if err := c.Clear(ctx); err != nil {
		t.Fatalf("Clear with no cache: %v", err)
	}
	key := []byte("0123456789abcdef0123456789abcdef")
	if err := c.StoreKey(ctx, id, key); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Key(ctx, id)
	if !ok || !bytes.Equal(got, key) {
		t.Fatalf("Key = %x, %v", got, ok)
	}
	secret.Wipe(got) // a copy: wiping it leaves the cache alone
	if again, ok := c.Key(ctx, id); !ok || !bytes.Equal(again, key) {
		t.Fatal("wiping the returned key changed the cache")
	}
	// Storing again replaces the entry atomically: still one entry.
	key2 := bytes.Repeat([]byte{7}, 16)
	if err := c.StoreKey(ctx, id, key2); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Key(ctx, id); !bytes.Equal(got, key2) {
		t.Fatal("StoreKey did not replace the entry")
	}
	ring, _, _ := c.ring(false)
	if ids, _ := listKeyring(ring); len(ids) != 1 {
		t.Fatalf("cache keyring holds %d keys, want 1", len(ids))
	}
	// The description hashes the id: no file path in /proc/keys.
	d := mustDescribe(t, cacheEntry(t, c, id))
	if strings.Contains(d.Description, "alice") || !strings.HasPrefix(d.Description, cachePrefix) {
		t.Fatalf("entry description %q", d.Description)
	}
	// Another id is another entry.
	if err := c.StoreKey(ctx, "other", []byte("k")); err != nil {
		t.Fatal(err)
	}
	if err := c.ForgetKey(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Key(ctx, id); ok {
		t.Fatal("ForgetKey left the entry")
	}
	if _, ok := c.Key(ctx, "other"); !ok {
		t.Fatal("ForgetKey removed another entry")
	}
	if err := c.ForgetKey(ctx, id); err != nil {
		t.Fatalf("ForgetKey of an absent entry: %v", err)
	}
	if err := c.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Key(ctx, "other"); ok {
		t.Fatal("Clear left an entry")
	}
}

func TestKeyCacheRejects(t *testing.T) {
	c := newTestCache(t)
	ctx := testCtx(t)
	if err := c.StoreKey(ctx, "x", nil); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Errorf("empty key: %v", err)
	}
	if err := c.StoreKey(ctx, "x", make([]byte, maxUserPayload+1)); !errors.Is(err, secret.ErrTooLarge) {
		t.Errorf("oversized key: %v", err)
	}
}

// Entries and their keyring are owner-only and carry an expiry.
func TestKeyCachePermissionsAndTimeout(t *testing.T) {
	c := newTestCache(t, WithTimeout(time.Hour))
	ctx := testCtx(t)
	if err := c.StoreKey(ctx, "id", []byte("derived")); err != nil {
		t.Fatal(err)
	}
	ring, _, _ := c.ring(false)
	entry := cacheEntry(t, c, "id")
	for _, id := range []int{ring, entry} {
		d := mustDescribe(t, id)
		if d.Perm != ownerOnly || d.Perm&0xffff != 0 || d.UID != os.Geteuid() {
			t.Errorf("key %d: perm %08x uid %d, want %08x (nothing for group/other)", id, d.Perm, d.UID, ownerOnly)
		}
	}
	// /proc/keys: serial flags usage timeout perm ...; the timeout of a
	// key without expiry is "perm".
	b, _ := os.ReadFile("/proc/keys")
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && f[0] == fmt.Sprintf("%08x", entry) {
			if f[3] == "perm" {
				t.Fatalf("cache entry has no expiry: %q", line)
			}
			return
		}
	}
	t.Fatalf("entry %x not in /proc/keys", entry)
}

func TestKeyCacheExpires(t *testing.T) {
	c := newTestCache(t, WithTimeout(time.Second))
	ctx := testCtx(t)
	if err := c.StoreKey(ctx, "short", []byte("k")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, ok := c.Key(ctx, "short"); !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a 1-second cache entry is still there after 30 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestKeyCacheUserKeyring(t *testing.T) {
	c := newTestCache(t, WithCacheKeyring(true))
	ctx := testCtx(t)
	if err := c.StoreKey(ctx, "u", []byte("k")); err != nil {
		t.Fatal(err)
	}
	u, _ := keyringID(specUser, false)
	ring, _, _ := c.ring(false)
	if ids, _ := listKeyring(u); !containsInt(ids, ring) {
		t.Fatal("cache keyring not in the user keyring")
	}
	// The session-scoped cache of the same name is another one.
	s := NewKeyCache(WithCacheName(c.o.name))
	if _, ok := s.Key(ctx, "u"); ok {
		t.Fatal("session cache sees the user cache's entry")
	}
}

// Another uid cannot read a cached key even when it shares our session
// keyring and so "possesses" it: the permissions give possessors nothing.
func TestKeyCacheNotReadableByOtherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a child as another uid")
	}
	c := newTestCache(t)
	ctx := testCtx(t)
	if err := c.StoreKey(ctx, "id", []byte("derived-key")); err != nil {
		t.Fatal(err)
	}
	k := openTest(t)
	it, err := k.CreateItem(ctx, "x", secret.Attributes{"k": "v"}, secret.NewString("item-secret"), true)
	if err != nil {
		t.Fatal(err)
	}
	runHelper(t, "OtherUser", 65534,
		"KEYCTL_TEST_SERIALS="+strconv.Itoa(cacheEntry(t, c, "id"))+","+it.ID(),
		"KEYCTL_TEST_CACHE="+c.o.name)
}

func TestHelperOtherUser(t *testing.T) {
	helperOnly(t, "OtherUser")
	if os.Geteuid() == 0 {
		t.Fatal("helper runs as root")
	}
	for _, s := range strings.Split(os.Getenv("KEYCTL_TEST_SERIALS"), ",") {
		id, _ := strconv.Atoi(s)
		if _, err := readKey(id); !errors.Is(err, unix.EACCES) {
			t.Errorf("read of key %d as uid %d: %v, want EACCES", id, os.Geteuid(), err)
		}
		if _, err := describeKey(id); !errors.Is(err, unix.EACCES) {
			t.Errorf("describe of key %d as uid %d: %v, want EACCES", id, os.Geteuid(), err)
		}
	}
	c := NewKeyCache(WithCacheName(os.Getenv("KEYCTL_TEST_CACHE")))
	if _, ok := c.Key(testCtx(t), "id"); ok {
		t.Error("another uid found the cached key")
	}
}
