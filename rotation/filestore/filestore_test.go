package filestore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/rotation"
	"github.com/moneypenny-go/keyring/secret"
)

func openStore(t *testing.T, path string) *Store {
	t.Helper()
	kr, err := filekeyring.Open(context.Background(), path, []byte("file keyring password"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kr.Close() })
	return New(kr)
}

func encryptor(t *testing.T) rotation.Encryptor {
	e, err := rotation.NewLocalEncryptor([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestFileStoreManagersConverge: three managers, each with its own handle
// on one keyring file (so each has its own file lock, as separate
// processes would), rotate at 200 ms: the versions are contiguous, at
// least one interval apart, and every ring ends the same.
func TestFileStoreManagersConverge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rotation.keyring")
	const group, interval = "local-signing", 200 * time.Millisecond
	first := openStore(t, path)
	if _, created, err := rotation.CreateGroup(context.Background(), first, encryptor(t),
		rotation.GroupConfig{Name: group, Interval: interval}); err != nil || !created {
		t.Fatalf("CreateGroup: %v, %v", created, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var handles []*rotation.Handle
	for i := 0; i < 3; i++ {
		st := first
		if i > 0 {
			st = openStore(t, path)
		}
		h, err := (&rotation.Manager{Storage: st, Encryptor: encryptor(t), Group: group,
			Syncer: rotation.Syncer{Keep: 64}}).Start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		handles = append(handles, h)
	}
	deadline := time.Now().Add(60 * time.Second)
	for handles[0].Ring().Latest() < 8 {
		if time.Now().After(deadline) {
			t.Fatal("no 8 versions after 60 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	for _, h := range handles {
		h.Wait()
	}
	snap, err := first.Load(context.Background(), group, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range snap.Rows {
		if r.Version != uint32(i+1) {
			t.Fatalf("versions not contiguous: %d at %d", r.Version, i)
		}
		if i > 0 {
			if gap := r.Created.Sub(snap.Rows[i-1].Created); gap < interval {
				t.Errorf("versions %d and %d only %v apart", i, i+1, gap)
			}
		}
	}
	// Bring every ring up to date (the last rotation may have landed as
	// the syncers stopped), then compare.
	for i := range handles {
		st := openStore(t, path)
		h, err := (&rotation.Syncer{Storage: st, Encryptor: encryptor(t), Group: group, Keep: 64}).Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got := h.Ring().Versions()
		if len(got) != len(snap.Rows) {
			t.Fatalf("ring %d holds %d versions, the file %d", i, len(got), len(snap.Rows))
		}
	}
}

// TestFileStoreRetireAndWrongKEK: retirement is pushed through the file
// watch; a wrong KEK fails the start.
func TestFileStoreRetireAndWrongKEK(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rotation.keyring")
	st := openStore(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const group = "g"
	if _, _, err := rotation.CreateGroup(ctx, st, encryptor(t), rotation.GroupConfig{Name: group, Interval: time.Hour}); err != nil {
		t.Fatal(err)
	}
	rot := &rotation.Rotator{Storage: st, Encryptor: encryptor(t), Group: group}
	for i := 0; i < 3; i++ {
		if _, err := rot.RotateNow(ctx); err != nil {
			t.Fatal(err)
		}
	}
	h, err := (&rotation.Syncer{Storage: openStore(t, path), Encryptor: encryptor(t), Group: group}).Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Retire(ctx, group, 3); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for h.Ring().MinVersion() != 3 {
		if time.Now().After(deadline) {
			t.Fatal("retirement not seen")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := h.Ring().Resolve(2); !errors.Is(err, secret.ErrRetired) {
		t.Errorf("Resolve(2) after retiring: %v", err)
	}
	if err := st.Retire(ctx, group, 2); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Errorf("lowering: %v", err)
	}
	wrong, _ := rotation.NewLocalEncryptor(make([]byte, 32))
	if _, err := (&rotation.Syncer{Storage: st, Encryptor: wrong, Group: group}).Start(ctx); !errors.Is(err, secret.ErrWrongPassword) {
		t.Errorf("wrong KEK: %v", err)
	}
}
