package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/legacykeyring"
	"github.com/moneypenny-go/keyring/secret"
)

// fileCollection is one keyring file served as a collection. Until a
// password opens it, it is a locked store that knows only its path: the
// daemon can start and own the bus name before anyone typed a password.
//
// The first open may run in the background (openAsync) while the daemon
// already owns its bus name: the key derivation is most of the start-up
// time, and calls that need the keyring wait for it instead of finding the
// collection locked.
type fileCollection struct {
	path   string
	opened chan struct{} // closed once k is set

	mu     sync.Mutex
	k      *filekeyring.Keyring
	closed bool
	ready  chan struct{} // closed when no background open is in flight
}

func newFileCollection(path string) *fileCollection {
	ready := make(chan struct{})
	close(ready)
	return &fileCollection{path: path, opened: make(chan struct{}), ready: ready}
}

// openAsync starts open in the background; the error arrives on the
// channel, and until then every call that needs the keyring waits.
func (f *fileCollection) openAsync(ctx context.Context, password []byte) <-chan error {
	ready := make(chan struct{})
	f.mu.Lock()
	f.ready = ready
	f.mu.Unlock()
	errc := make(chan error, 1)
	go func() {
		err := f.open(ctx, password)
		close(ready)
		errc <- err
	}()
	return errc
}

// wait returns once no background open is in flight.
func (f *fileCollection) wait(ctx context.Context) error {
	f.mu.Lock()
	ready := f.ready
	f.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var _ secret.Store = (*fileCollection)(nil)

// legacySuffix is where a converted gnome-keyring v0 file is kept.
const legacySuffix = ".gnome-keyring-v0"

// open opens the file with password, or unlocks it if open: a wrong
// password fails with secret.ErrWrongPassword and changes nothing. A
// gnome-keyring v0 file is converted first (see convertLegacy).
func (f *fileCollection) open(ctx context.Context, password []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return secret.ErrClosed
	}
	if f.k != nil {
		return f.k.UnlockWithPassword(ctx, password)
	}
	if err := convertLegacy(ctx, f.path, password); err != nil {
		return err
	}
	k, err := filekeyring.Open(ctx, f.path, password)
	if err != nil {
		return err
	}
	f.k = k
	close(f.opened)
	return nil
}

// convertLegacy turns a gnome-keyring v0 file at path into a libsecret v1
// file under the same password, keeping the original beside it
// (path+legacySuffix). Nothing changes if the password is wrong; if the new
// file cannot be written the original is put back.
func convertLegacy(ctx context.Context, path string, password []byte) error {
	data, err := os.ReadFile(path)
	if err != nil || !legacykeyring.IsLegacy(data) {
		return nil // absent or not v0: filekeyring.Open judges it
	}
	_, recs, err := legacykeyring.Parse(data, password)
	if err != nil {
		return fmt.Errorf("serve: convert gnome-keyring file %s: %w", path, err)
	}
	defer func() {
		for _, r := range recs {
			secret.Wipe(r.Secret)
		}
	}()
	aside := path + legacySuffix
	if _, err := os.Lstat(aside); err == nil {
		return fmt.Errorf("serve: convert %s: %s exists already; move it away first", path, aside)
	}
	if err := os.Rename(path, aside); err != nil {
		return fmt.Errorf("serve: convert %s: %w", path, err)
	}
	restore := func(cause error) error {
		_ = os.Remove(path)
		if err := os.Rename(aside, path); err != nil {
			return fmt.Errorf("serve: convert %s: %v; and putting the original back failed: %w", path, cause, err)
		}
		return fmt.Errorf("serve: convert %s: %w", path, cause)
	}
	k, err := filekeyring.Open(ctx, path, password)
	if err != nil {
		return restore(err)
	}
	defer k.Close()
	out := make([]filekeyring.Record, len(recs))
	for i, r := range recs {
		out[i] = filekeyring.Record{Label: r.Label, Attributes: r.Attributes, Secret: secret.New(r.Secret),
			Created: r.Created, Modified: r.Modified}
	}
	if len(out) == 0 {
		// An empty keyring still becomes a v1 file, so the v0 one is
		// not converted again.
		it, err := k.CreateItem(ctx, "", secret.Attributes{"moneypenny:placeholder": "1"}, secret.NewString(""), true)
		if err == nil {
			err = it.Delete(ctx)
		}
		if err != nil {
			return restore(err)
		}
		return nil
	}
	if _, _, err := k.Import(ctx, out, false); err != nil {
		return restore(err)
	}
	return nil
}

// keyring returns the open keyring, or ErrLocked before the first unlock.
func (f *fileCollection) keyring(ctx context.Context) (*filekeyring.Keyring, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, fmt.Errorf("serve: %s: %w", f.path, secret.ErrClosed)
	}
	if f.k == nil {
		return nil, fmt.Errorf("serve: %s: %w", f.path, secret.ErrLocked)
	}
	return f.k, nil
}

func (f *fileCollection) Info() secret.Info {
	return secret.Info{Name: "file", Persistent: true, Location: f.path}
}

func (f *fileCollection) CreateItem(ctx context.Context, label string, attrs secret.Attributes, v *secret.Value, replace bool) (secret.Item, error) {
	k, err := f.keyring(ctx)
	if err != nil {
		return nil, err
	}
	return k.CreateItem(ctx, label, attrs, v, replace)
}

func (f *fileCollection) CreateItems(ctx context.Context, items []secret.NewItem) ([]secret.Item, error) {
	k, err := f.keyring(ctx)
	if err != nil {
		return nil, err
	}
	return k.CreateItems(ctx, items)
}

func (f *fileCollection) SearchItems(ctx context.Context, q secret.Attributes) ([]secret.Item, error) {
	k, err := f.keyring(ctx)
	if err != nil {
		return nil, err
	}
	return k.SearchItems(ctx, q)
}

func (f *fileCollection) Items(ctx context.Context) ([]secret.Item, error) {
	return f.SearchItems(ctx, nil)
}

func (f *fileCollection) Delete(ctx context.Context, q secret.Attributes) (int, error) {
	k, err := f.keyring(ctx)
	if err != nil {
		return 0, err
	}
	return k.Delete(ctx, q)
}

func (f *fileCollection) Lock(ctx context.Context) error {
	k, err := f.keyring(ctx)
	if errors.Is(err, secret.ErrLocked) {
		return nil
	}
	if err != nil {
		return err
	}
	return k.Lock(ctx)
}

// Unlock without a password works only when the keyring still holds one
// (after another writer re-keyed it); the daemon's prompt calls open.
func (f *fileCollection) Unlock(ctx context.Context) error {
	k, err := f.keyring(ctx)
	if err != nil {
		return err
	}
	return k.Unlock(ctx)
}

func (f *fileCollection) IsLocked(ctx context.Context) (bool, error) {
	k, err := f.keyring(ctx)
	if errors.Is(err, secret.ErrLocked) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return k.IsLocked(ctx)
}

// Watch reports changes from the moment the file is opened (at once if it
// is), until ctx ends.
func (f *fileCollection) Watch(ctx context.Context) (<-chan secret.Event, error) {
	// No waiting for a background open here: the server subscribes while
	// it starts.
	f.mu.Lock()
	k, closed := f.k, f.closed
	f.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("serve: %s: %w", f.path, secret.ErrClosed)
	}
	if k != nil {
		return k.Watch(ctx)
	}
	out := make(chan secret.Event)
	go func() {
		defer close(out)
		select {
		case <-f.opened:
		case <-ctx.Done():
			return
		}
		k, err := f.keyring(ctx)
		if err != nil {
			return
		}
		in, err := k.Watch(ctx)
		if err != nil {
			return
		}
		for ev := range in {
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (f *fileCollection) Close() error {
	_ = f.wait(context.Background())
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	if f.k != nil {
		return f.k.Close()
	}
	return nil
}
