package filekeyring

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// TestReadOnlyModeIsRespected: a keyring the user made read-only (0444)
// is read, but never rewritten, and its mode stays. Root may write any
// file, so this is the mode itself being honoured, not the kernel's check.
func TestReadOnlyModeIsRespected(t *testing.T) {
	path := tempPath(t)
	ctx := context.Background()
	k := mustOpen(t, path, "pw")
	if _, err := k.CreateItem(ctx, "x", secret.Attributes{"n": "1"}, secret.NewString("one"), true); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	before := mustRead(t, path)
	if !k.Info().ReadOnly {
		t.Error("Info().ReadOnly is false for a 0444 keyring")
	}
	for name, write := range map[string]func() error{
		"store": func() error {
			_, err := k.CreateItem(ctx, "y", secret.Attributes{"n": "2"}, secret.NewString("two"), true)
			return err
		},
		"delete": func() error { _, err := k.Delete(ctx, secret.Attributes{"n": "1"}); return err },
		"repair": func() error { _, err := k.Repair(ctx); return err },
		"change": func() error { return k.ChangePassword(ctx, []byte("pw"), []byte("new")) },
	} {
		if err := write(); !errors.Is(err, secret.ErrReadOnly) {
			t.Errorf("%s on a 0444 keyring: %v, want ErrReadOnly", name, err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o444 {
		t.Errorf("mode is now %v, want 0444 kept", fi.Mode().Perm())
	}
	if !bytes.Equal(before, mustRead(t, path)) {
		t.Error("a 0444 keyring was rewritten")
	}
	if got := lookup(t, mustOpen(t, path, "pw"), secret.Attributes{"n": "1"}); len(got) != 1 || got[0] != "one" {
		t.Errorf("reading a 0444 keyring: %q", got)
	}
}

// TestSymlinkedKeyring: a keyring path that is a symbolic link is written
// through: the target gets every update and the link stays a link, also
// when the link is relative or its target does not exist yet.
func TestSymlinkedKeyring(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		relative bool
		exists   bool
	}{{"absolute", false, true}, {"relative", true, true}, {"dangling", false, false}} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			real := filepath.Join(root, "sync", "real.keyring")
			if err := os.MkdirAll(filepath.Dir(real), 0o700); err != nil {
				t.Fatal(err)
			}
			if tc.exists {
				k := mustOpen(t, real, "pw")
				if _, err := k.CreateItem(ctx, "first", secret.Attributes{"n": "1"}, secret.NewString("one"), true); err != nil {
					t.Fatal(err)
				}
				k.Close()
			}
			link := filepath.Join(root, "keyrings", "default.keyring")
			if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
				t.Fatal(err)
			}
			dest := real
			if tc.relative {
				dest = filepath.Join("..", "sync", "real.keyring")
			}
			if err := os.Symlink(dest, link); err != nil {
				t.Fatal(err)
			}
			k := mustOpen(t, link, "pw")
			for _, n := range []string{"2", "3"} {
				if _, err := k.CreateItem(ctx, "item", secret.Attributes{"n": n}, secret.NewString("v"+n), true); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := os.Readlink(link); err != nil || got != dest {
				t.Fatalf("the link is now %q, %v; want a link to %q", got, err, dest)
			}
			want := 2
			if tc.exists {
				want = 3
			}
			if got := lookup(t, mustOpen(t, real, "pw"), nil); len(got) != want {
				t.Fatalf("the target has %q, want %d items", got, want)
			}
			if stray, _ := filepath.Glob(filepath.Join(filepath.Dir(link), "*")); len(stray) != 1 {
				t.Errorf("files next to the link: %v (the lock and temporary files belong next to the target)", stray)
			}
		})
	}
}

// TestLockFileSymlinkNotFollowed: a symbolic link planted where the lock
// file goes is never followed, so its target is neither created nor
// opened.
func TestLockFileSymlinkNotFollowed(t *testing.T) {
	path := tempPath(t)
	ctx := context.Background()
	k := mustOpen(t, path, "pw")
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, lockPath(path)); err != nil {
		t.Fatal(err)
	}
	if _, err := k.CreateItem(ctx, "x", secret.Attributes{"n": "1"}, secret.NewString("v"), true); err == nil {
		t.Fatal("a write went ahead with a symbolic link as its lock file")
	}
	if _, err := os.Lstat(victim); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the lock file's symlink target was created: %v", err)
	}
}

// TestPathEndingInSlash: "dir/" names a directory, never a keyring file;
// so does an existing directory.
func TestPathEndingInSlash(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{filepath.Join(dir, "keyrings") + "/", dir} {
		k, err := Open(context.Background(), p, []byte("pw"))
		if err == nil {
			k.Close()
			t.Fatalf("Open(%q) succeeded", p)
		}
		if !errors.Is(err, secret.ErrInvalidArgument) {
			t.Errorf("Open(%q): %v, want ErrInvalidArgument", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "keyrings")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a path ending in / created something: %v", err)
	}
}

// TestWatchThroughSymlink: Watch on a symlinked keyring sees a change
// written straight to the link's target, in another directory.
func TestWatchThroughSymlink(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "sync", "real.keyring")
	link := filepath.Join(root, "keyrings", "default.keyring")
	for _, d := range []string{filepath.Dir(real), filepath.Dir(link)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k := mustOpen(t, link, "pw")
	if _, err := k.CreateItem(ctx, "seed", secret.Attributes{"n": "0"}, secret.NewString("0"), true); err != nil {
		t.Fatal(err)
	}
	events, err := k.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mustOpen(t, real, "pw").CreateItem(ctx, "new", secret.Attributes{"n": "1"}, secret.NewString("1"), true); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev.Kind != secret.ItemCreated {
			t.Fatalf("event %v, want created", ev)
		}
	case <-ctx.Done():
		t.Fatal("no event for a change to the link's target")
	}
}
