//go:build linux

package keyctl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/moneypenny-go/keyring/internal/storetest"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
	"golang.org/x/sys/unix"
)

func TestStoreSuiteSession(t *testing.T) {
	needSession(t)
	name := "moneypenny-test-" + randomHex(6)
	storetest.Run(t, func(t *testing.T) secret.Store {
		k, err := Open(context.Background(), WithName(name))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return k
	}, suiteOptions())
	if k, err := Open(context.Background(), WithName(name)); err == nil {
		_ = unlinkKey(k.ring, k.home.id)
	}
}

func TestStoreSuiteUserKeyring(t *testing.T) {
	needSession(t)
	name := "moneypenny-test-" + randomHex(6)
	storetest.Run(t, func(t *testing.T) secret.Store {
		k, err := Open(context.Background(), WithName(name), WithUserKeyring())
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return k
	}, suiteOptions())
	// The user keyring outlives the test: remove our keyring from it.
	if k, err := Open(context.Background(), WithName(name), WithUserKeyring()); err == nil {
		_ = unlinkKey(k.ring, k.home.id)
	}
}

// suiteOptions: no Watch; and for non-root users, whose kernel quota is
// 20000 bytes by default (/proc/sys/kernel/keys/maxbytes) for all their
// keys together, a large secret that leaves room for the rest.
func suiteOptions() storetest.Options {
	o := storetest.Options{NoWatch: true}
	if os.Geteuid() != 0 {
		o.LargeSecret = 8 << 10
	}
	return o
}

func TestOpenUsesTheSessionKeyring(t *testing.T) {
	k := openTest(t)
	ses, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	if err != nil {
		t.Fatal(err)
	}
	if k.home.kind != homeSession || k.home.id != ses {
		t.Fatalf("home %+v, want the session keyring %d", k.home, ses)
	}
	ids, err := listKeyring(ses)
	if err != nil {
		t.Fatal(err)
	}
	if !containsInt(ids, k.ring) {
		t.Fatalf("keyring %d not linked into the session keyring %d (%v)", k.ring, ses, ids)
	}
	info := k.Info()
	if info.Name != "keyctl" || info.Persistent || !strings.Contains(info.Location, "session keyring") ||
		!strings.Contains(info.Note, "NOT persistent") || !strings.Contains(info.Note, "reboot") {
		t.Fatalf("Info = %+v", info)
	}
	// A second Open finds the same keyring rather than making another.
	k2, err := Open(testCtx(t), WithName(k.name))
	if err != nil {
		t.Fatal(err)
	}
	if k2.ring != k.ring {
		t.Fatalf("second Open got keyring %d, first %d", k2.ring, k.ring)
	}
}

func TestUserKeyringOption(t *testing.T) {
	k := openTest(t, WithUserKeyring())
	u, _ := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, false)
	if k.home.kind != homeUser || k.home.id != u {
		t.Fatalf("home %+v, want the user keyring %d", k.home, u)
	}
	// The session scope of the same name is a different keyring, even
	// though the session keyring may reach the user keyring.
	ks := openTest(t)
	if ks.ring == k.ring {
		t.Fatal("session and user scope share a keyring")
	}
}

// A process without a session keyring of its own must not get the
// throwaway anonymous one add_key(@s) would make: it uses the user keyring.
func TestNoSessionFallsBackToUserKeyring(t *testing.T) {
	needSession(t)
	runHelper(t, "NoSession", -1, envSession+"=", envJoin+"=_uid_ses."+strconv.Itoa(os.Getuid()))
}

func TestHelperNoSession(t *testing.T) {
	helperOnly(t, "NoSession")
	ses, _ := keyringID(specSession, false)
	us, _ := keyringID(specUserSession, false)
	if ses != us {
		t.Fatalf("helper's session keyring %d is not the user-session keyring %d", ses, us)
	}
	k := openTest(t)
	u, _ := keyringID(specUser, false)
	if k.home.kind != homeUserNoSession || k.home.id != u {
		t.Fatalf("home %+v, want the user keyring %d", k.home, u)
	}
	if !strings.Contains(k.Info().Location, "no session keyring") {
		t.Fatalf("Info().Location = %q", k.Info().Location)
	}
	if ids, _ := listKeyring(u); !containsInt(ids, k.ring) {
		t.Fatal("keyring not linked into the user keyring")
	}
	// And the session keyring is still the user-session one: nothing
	// made an anonymous session keyring.
	if ses2, _ := keyringID(specSession, false); ses2 != us {
		t.Fatalf("Open replaced the session keyring %d with %d", us, ses2)
	}
	ctx := testCtx(t)
	if _, err := k.CreateItem(ctx, "x", secret.Attributes{"a": "b"}, secret.NewString("s"), true); err != nil {
		t.Fatal(err)
	}
	if ses2, _ := keyringID(specSession, false); ses2 != us {
		t.Fatalf("CreateItem replaced the session keyring %d with %d", us, ses2)
	}
}

func TestStoreLookupSearchReplaceDelete(t *testing.T) {
	k := openTest(t)
	ctx := testCtx(t)
	a := secret.Attributes{"service": "github", "username": "alice"}
	it, err := k.CreateItem(ctx, "GitHub", a, secret.NewWithContentType([]byte{0, 1, 2, 0xff}, secret.ContentTypeBinary), true)
	if err != nil {
		t.Fatal(err)
	}
	serial := it.(*Item).Serial()
	if it.ID() != strconv.Itoa(serial) {
		t.Fatalf("ID %q, serial %d", it.ID(), serial)
	}
	// The key is a user key with our description prefix in our keyring.
	d := mustDescribe(t, serial)
	if d.Type != "user" || !strings.HasPrefix(d.Description, itemPrefix) {
		t.Fatalf("item key described as %+v", d)
	}
	got, err := k.SearchItems(ctx, secret.Attributes{"service": "github"})
	if err != nil || len(got) != 1 || got[0].ID() != it.ID() {
		t.Fatalf("search = %v, %v", got, err)
	}
	v, err := got[0].Secret(ctx)
	if err != nil || !bytes.Equal(v.Bytes(), []byte{0, 1, 2, 0xff}) || v.ContentType() != secret.ContentTypeBinary {
		t.Fatalf("secret = %d bytes %q, %v", v.Len(), v.ContentType(), err)
	}
	v.Wipe()

	// Replace: same serial, new payload.
	it2, err := k.CreateItem(ctx, "GitHub 2", a, secret.NewString("two"), true)
	if err != nil || it2.ID() != it.ID() {
		t.Fatalf("replace gave %v, %v; want the same key %s updated", it2, err, it.ID())
	}
	// Without replace: a second item with the same attributes.
	if _, err := k.CreateItem(ctx, "dup", a, secret.NewString("three"), false); err != nil {
		t.Fatal(err)
	}
	if all, _ := k.SearchItems(ctx, a); len(all) != 2 {
		t.Fatalf("%d items, want 2", len(all))
	}
	// Replace with two exact matches leaves one.
	if _, err := k.CreateItem(ctx, "one", a, secret.NewString("four"), true); err != nil {
		t.Fatal(err)
	}
	all, _ := k.SearchItems(ctx, a)
	if len(all) != 1 {
		t.Fatalf("replace left %d items", len(all))
	}
	n, err := k.Delete(ctx, secret.Attributes{"username": "alice"})
	if err != nil || n != 1 {
		t.Fatalf("Delete = %d, %v", n, err)
	}
	if _, err := all[0].Secret(ctx); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("Secret of a deleted item = %v, want ErrNotFound", err)
	}
	if err := all[0].Delete(ctx); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("second Delete = %v, want ErrNotFound", err)
	}
	if _, err := describeKey(serial); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("deleted key still exists: %v", err)
	}
}

func TestTooLarge(t *testing.T) {
	k := openTest(t)
	ctx := testCtx(t)
	_, err := k.CreateItem(ctx, "big", secret.Attributes{"k": "v"}, secret.New(make([]byte, maxUserPayload)), true)
	if !errors.Is(err, secret.ErrTooLarge) {
		t.Fatalf("a %d-byte secret: %v, want ErrTooLarge", maxUserPayload, err)
	}
	if os.Geteuid() != 0 {
		return // the rest needs more than a non-root user's 20000-byte quota
	}
	// Just under the limit, with our metadata, fits (root's quota is large).
	fit := maxUserPayload - 100
	it, err := k.CreateItem(ctx, "fits", secret.Attributes{"k": "v"}, secret.New(make([]byte, fit)), true)
	if err != nil {
		t.Fatalf("a %d-byte secret: %v", fit, err)
	}
	if err := it.SetSecret(ctx, secret.New(make([]byte, maxUserPayload))); !errors.Is(err, secret.ErrTooLarge) {
		t.Fatalf("SetSecret too large: %v", err)
	}
	v, _ := it.Secret(ctx)
	if v.Len() != fit {
		t.Fatalf("failed SetSecret changed the secret to %d bytes", v.Len())
	}
}

// A non-root user has a 20000-byte quota: a store that fits the user key
// limit but not the quota is ErrTooLarge saying "kernel key quota".
func TestQuotaIsTooLarge(t *testing.T) {
	needSession(t)
	if os.Getuid() != 0 {
		t.Skip("needs root to run a child as another uid")
	}
	runHelper(t, "Quota", 65534)
}

func TestHelperQuota(t *testing.T) {
	helperOnly(t, "Quota")
	k := openTest(t, WithUserKeyring())
	maxBytes, _ := os.ReadFile("/proc/sys/kernel/keys/maxbytes")
	n, _ := strconv.Atoi(strings.TrimSpace(string(maxBytes)))
	if n <= 0 || n >= maxUserPayload-200 {
		t.Skipf("maxbytes %d leaves no room between quota and the user key limit", n)
	}
	_, err := k.CreateItem(testCtx(t), "big", secret.Attributes{"k": "v"}, secret.New(make([]byte, maxUserPayload-200)), true)
	if !errors.Is(err, secret.ErrTooLarge) || !strings.Contains(err.Error(), "kernel key quota") {
		t.Fatalf("over quota: %v, want ErrTooLarge mentioning the kernel key quota", err)
	}
}

func TestPermissions(t *testing.T) {
	k := openTest(t)
	ctx := testCtx(t)
	it, err := k.CreateItem(ctx, "p", secret.Attributes{"k": "v"}, secret.NewString("s"), true)
	if err != nil {
		t.Fatal(err)
	}
	serial := it.(*Item).Serial()
	for _, id := range []int{k.ring, serial} {
		d := mustDescribe(t, id)
		if d.Perm != ownerOnly || d.UID != os.Geteuid() {
			t.Errorf("key %d: perm %08x uid %d, want %08x uid %d", id, d.Perm, d.UID, ownerOnly, os.Geteuid())
		}
		if d.Perm&0xffff != 0 {
			t.Errorf("key %d grants group/other %04x", id, d.Perm&0xffff)
		}
		if p := procKeysPerm(t, id); p != fmt.Sprintf("%08x", ownerOnly) {
			t.Errorf("/proc/keys says perm %s for %d", p, id)
		}
	}
	// Setters keep the permissions (KEYCTL_UPDATE does not reset them).
	if err := it.SetLabel(ctx, "q"); err != nil {
		t.Fatal(err)
	}
	if d := mustDescribe(t, serial); d.Perm != ownerOnly {
		t.Fatalf("after SetLabel perm %08x", d.Perm)
	}
}

// An existing keyring of our name (say from `keyctl newring`) gets our
// permissions on Open.
func TestOpenFixesPermissionsOfExistingKeyring(t *testing.T) {
	needSession(t)
	name := "moneypenny-test-" + randomHex(6)
	ses, _ := keyringID(specSession, false)
	id, err := unix.AddKey("keyring", name, nil, ses) // kernel default perms
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unlinkKey(id, ses) })
	if d := mustDescribe(t, id); d.Perm == ownerOnly {
		t.Fatalf("default perms already %08x", d.Perm)
	}
	k, err := Open(testCtx(t), WithName(name))
	if err != nil || k.ring != id {
		t.Fatalf("Open = %v (ring %d, want %d)", err, k.ring, id)
	}
	if d := mustDescribe(t, id); d.Perm != ownerOnly {
		t.Fatalf("perm %08x after Open", d.Perm)
	}
}

// The kernel fact this package is built around: the session keyring is
// per thread. Joining one on a locked thread leaves the others alone.
func TestSessionKeyringIsPerThread(t *testing.T) {
	needSession(t)
	ses, _ := keyringID(specSession, false)
	joined := make(chan int)
	go func() {
		runtime.LockOSThread() // not unlocked: the thread dies with its changed credentials
		id, err := unix.KeyctlJoinSessionKeyring("moneypenny-test-" + randomHex(6))
		if err != nil {
			id = -1
		}
		joined <- id
	}()
	other := <-joined
	if other <= 0 || other == ses {
		t.Fatalf("join on another thread gave %d (ours %d)", other, ses)
	}
	if now, _ := keyringID(specSession, false); now != ses {
		t.Fatalf("joining on another thread changed this thread's session keyring to %d", now)
	}
}

// Items are usable from every OS thread, including threads whose session
// keyring does not reach our keyring (no possession): permissions are by
// uid, and IDs are serials, not @s.
func TestEveryThreadSeesItems(t *testing.T) {
	k := openTest(t)
	ctx := testCtx(t)
	a := secret.Attributes{"thread": "test"}
	it, err := k.CreateItem(ctx, "t", a, secret.NewString("shared"), true)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			runtime.LockOSThread() // not unlocked: odd threads change their credentials
			if i%2 == 1 {
				if _, err := unix.KeyctlJoinSessionKeyring("moneypenny-test-" + randomHex(6)); err != nil {
					errs <- err
					return
				}
			}
			v, err := it.Secret(ctx)
			if err != nil {
				errs <- fmt.Errorf("thread %d: Secret: %w", i, err)
				return
			}
			if string(v.Bytes()) != "shared" {
				errs <- fmt.Errorf("thread %d: wrong secret", i)
			}
			v.Wipe()
			if err := it.SetLabel(ctx, fmt.Sprint("label ", i)); err != nil {
				errs <- fmt.Errorf("thread %d: SetLabel: %w", i, err)
			}
			got, err := k.SearchItems(ctx, a)
			if err != nil || len(got) != 1 {
				errs <- fmt.Errorf("thread %d: search %d items, %v", i, len(got), err)
			}
			if _, err := k.CreateItem(ctx, "new", secret.Attributes{"thread": fmt.Sprint(i)}, secret.NewString("x"), true); err != nil {
				errs <- fmt.Errorf("thread %d: CreateItem: %w", i, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if all, _ := k.Items(ctx); len(all) != 9 {
		t.Fatalf("%d items, want 9", len(all))
	}
}

// Keys someone else put in our keyring are neither listed nor deleted.
func TestForeignKeysAreIgnored(t *testing.T) {
	k := openTest(t)
	ctx := testCtx(t)
	other, err := unix.AddKey("user", "not-ours", []byte("x"), k.ring)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := unix.AddKey("user", itemPrefix+"corrupt", []byte("MPK\x01garbage"), k.ring)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.CreateItem(ctx, "mine", secret.Attributes{"k": "v"}, secret.NewString("s"), true); err != nil {
		t.Fatal(err)
	}
	all, err := k.Items(ctx)
	if err != nil || len(all) != 1 {
		t.Fatalf("Items = %d, %v; want only ours", len(all), err)
	}
	if n, err := k.Delete(ctx, nil); err != nil || n != 1 {
		t.Fatalf("Delete(all) = %d, %v", n, err)
	}
	for _, id := range []int{other, bad} {
		if _, err := describeKey(id); err != nil {
			t.Fatalf("foreign key %d was touched: %v", id, err)
		}
	}
}

// If our keyring disappears (keyctl invalidate, another process), the Keyring
// makes a new one instead of failing forever.
func TestKeyringRecreatedWhenGone(t *testing.T) {
	k := openTest(t)
	ctx := testCtx(t)
	old := k.ring
	// Unlinking alone frees the keyring only after an RCU grace period;
	// invalidation (keyctl invalidate) kills it at once.
	if err := invalidateKey(old); err != nil {
		t.Fatal(err)
	}
	if items, err := k.Items(ctx); err != nil || len(items) != 0 {
		t.Fatalf("Items after the keyring vanished = %d, %v", len(items), err)
	}
	if _, err := k.CreateItem(ctx, "x", secret.Attributes{"k": "v"}, secret.NewString("s"), true); err != nil {
		t.Fatal(err)
	}
	if k.ring == old {
		t.Fatal("keyring serial did not change")
	}
	ring, home := k.ring, k.home.id
	t.Cleanup(func() { _ = unlinkKey(ring, home) })
}

func TestNotSupportedAndClosed(t *testing.T) {
	k := openTest(t)
	ctx := testCtx(t)
	if err := k.Lock(ctx); !errors.Is(err, secret.ErrNotSupported) {
		t.Errorf("Lock = %v", err)
	}
	if err := k.Unlock(ctx); !errors.Is(err, secret.ErrNotSupported) {
		t.Errorf("Unlock = %v", err)
	}
	if l, err := k.IsLocked(ctx); l || err != nil {
		t.Errorf("IsLocked = %v, %v", l, err)
	}
	if _, err := k.Watch(ctx); !errors.Is(err, secret.ErrNotSupported) {
		t.Errorf("Watch = %v", err)
	}
	it, err := k.CreateItem(ctx, "x", secret.Attributes{"k": "v"}, secret.NewString("s"), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := it.Lock(ctx); !errors.Is(err, secret.ErrNotSupported) {
		t.Errorf("Item.Lock = %v", err)
	}
	if _, err := k.CreateItem(ctx, "x", secret.Attributes{"": "v"}, secret.NewString("s"), true); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Errorf("empty attribute name: %v", err)
	}
	_ = k.Close()
	if _, err := it.Label(ctx); !errors.Is(err, secret.ErrClosed) {
		t.Errorf("Item.Label after Close = %v", err)
	}
	if _, err := k.Delete(ctx, nil); !errors.Is(err, secret.ErrClosed) {
		t.Errorf("Delete after Close = %v", err)
	}
}

func TestProbe(t *testing.T) {
	needSession(t)
	if err := Probe(testCtx(t)); err != nil {
		t.Fatalf("Probe: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Probe(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Probe with a cancelled context: %v", err)
	}
}

// Inside a seccomp filter like Flatpak's (ENOSYS) or Docker's (EPERM),
// everything reports ErrUnavailable with the reason.
func TestBlockedBySeccomp(t *testing.T) {
	needSession(t)
	for _, e := range []string{"ENOSYS", "EPERM"} {
		t.Run(e, func(t *testing.T) {
			out := runHelper(t, "Seccomp", -1, envSeccomp+"="+e)
			if !strings.Contains(out, "blocked") {
				t.Fatalf("helper output lacks the reason:\n%s", out)
			}
		})
	}
}

func TestHelperSeccomp(t *testing.T) {
	helperOnly(t, "Seccomp")
	want := unix.ENOSYS
	if os.Getenv(envSeccomp) == "EPERM" {
		want = unix.EPERM
	}
	ctx := testCtx(t)
	err := Probe(ctx)
	if !errors.Is(err, secret.ErrUnavailable) || !errors.Is(err, want) {
		t.Fatalf("Probe = %v, want ErrUnavailable and %v", err, want)
	}
	t.Log(err)
	if _, err := Open(ctx); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("Open = %v", err)
	}
	c := NewKeyCache()
	if _, ok := c.Key(ctx, "x"); ok {
		t.Fatal("Key found something")
	}
	if err := c.StoreKey(ctx, "x", []byte("k")); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("StoreKey = %v", err)
	}
	if err := c.Clear(ctx); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("Clear = %v", err)
	}
}

// Cross-check with keyutils' own CLI: it finds our keyring in the session
// keyring and reads the payload format we document.
func TestKeyctlCLISeesItems(t *testing.T) {
	k := openTest(t)
	keyctl := testpeer.Need(t, "keyctl")[0]
	it, err := k.CreateItem(testCtx(t), "cli", secret.Attributes{"k": "v"}, secret.NewString("cli-secret"), true)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(keyctl, "search", "@s", "keyring", k.name).Output()
	if err != nil || strings.TrimSpace(string(out)) != strconv.Itoa(k.ring) {
		t.Fatalf("keyctl search @s keyring %s = %q, %v; want %d", k.name, out, err, k.ring)
	}
	out, err = exec.Command(keyctl, "rdescribe", it.ID()).Output()
	if err != nil || !strings.HasPrefix(string(out), fmt.Sprintf("user;%d;", os.Geteuid())) || !strings.Contains(string(out), ";003f0000;"+itemPrefix) {
		t.Fatalf("keyctl rdescribe = %q, %v", out, err)
	}
	payload, err := exec.Command(keyctl, "pipe", it.ID()).Output()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := decodeRecord(payload)
	if err != nil || string(rec.secret) != "cli-secret" || rec.label != "cli" {
		t.Fatalf("payload read by keyctl pipe does not decode: %v", err)
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestReplaceLargerThanAPage: KEYCTL_UPDATE refuses payloads over a page
// (keyctl_update_key: plen > PAGE_SIZE is EINVAL), yet a user key holds
// 32767 bytes. Replacing an item, and SetSecret, with a secret of a few KiB
// must work and keep the item's serial.
func TestReplaceLargerThanAPage(t *testing.T) {
	k := openTest(t)
	ctx := testCtx(t)
	attrs := secret.Attributes{"k": "page"}
	first, err := k.CreateItem(ctx, "small", attrs, secret.NewString("small"), true)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), 3*os.Getpagesize()/2)
	second, err := k.CreateItem(ctx, "big", attrs, secret.New(append([]byte(nil), big...)), true)
	if err != nil {
		t.Fatalf("replace with %d bytes: %v", len(big), err)
	}
	if second.ID() != first.ID() {
		t.Fatalf("replace changed the serial %s -> %s", first.ID(), second.ID())
	}
	v, err := second.Secret(ctx)
	if err != nil || !bytes.Equal(v.Bytes(), big) {
		t.Fatalf("secret after replace: %d bytes, %v", v.Len(), err)
	}
	bigger := bytes.Repeat([]byte("y"), 2*os.Getpagesize())
	if err := first.SetSecret(ctx, secret.New(append([]byte(nil), bigger...))); err != nil {
		t.Fatalf("SetSecret of %d bytes: %v", len(bigger), err)
	}
	v, _ = first.Secret(ctx)
	if !bytes.Equal(v.Bytes(), bigger) {
		t.Fatalf("SetSecret stored %d bytes", v.Len())
	}
	d, err := describeKey(mustAtoi(t, first.ID()))
	if err != nil || d.Perm != ownerOnly {
		t.Fatalf("permissions after a large update: %#x, %v; want %#x", d.Perm, err, ownerOnly)
	}
	items, _ := k.Items(ctx)
	if len(items) != 1 {
		t.Fatalf("%d items after the updates, want 1", len(items))
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
