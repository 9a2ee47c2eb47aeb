//go:build !windows

package windows

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// fakeAPI is an in-memory Credential Manager for the unit tests on systems
// without advapi32. It copies the behaviour the keyring relies on: target
// names compare case-insensitively, a blob over MaxBlobSize is refused (as
// real Windows does, unlike Wine), so is a name over 245 characters (as Wine
// does), enumeration is a prefix filter.
type fakeAPI struct {
	mu    sync.Mutex
	creds map[string]*credential // key: upper-cased target
	order []string
}

func newFakeAPI() *fakeAPI { return &fakeAPI{creds: map[string]*credential{}} }

func clone(c *credential) *credential {
	d := *c
	d.Blob = append([]byte{}, c.Blob...)
	return &d
}

func (f *fakeAPI) read(target string) (*credential, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.creds[strings.ToUpper(target)]
	if !ok {
		return nil, fmt.Errorf("fake CredReadW %q: %w", target, secret.ErrNotFound)
	}
	return clone(c), nil
}

func (f *fakeAPI) write(c *credential) error {
	if utf16Len(c.Target) > 245 { // Wine's registry-key limit, measured
		return fmt.Errorf("fake CredWriteW: target of %d characters refused", utf16Len(c.Target))
	}
	if len(c.Blob) > MaxBlobSize {
		return fmt.Errorf("fake CredWriteW: blob of %d bytes: %w", len(c.Blob), secret.ErrInvalidArgument)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	key := strings.ToUpper(c.Target)
	d := clone(c)
	d.LastWritten = time.Now().UTC()
	if old, ok := f.creds[key]; ok {
		d.Target = old.Target // Windows keeps the first spelling
	} else {
		f.order = append(f.order, key)
	}
	f.creds[key] = d
	return nil
}

func (f *fakeAPI) remove(target string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := strings.ToUpper(target)
	if _, ok := f.creds[key]; !ok {
		return fmt.Errorf("fake CredDeleteW %q: %w", target, secret.ErrNotFound)
	}
	delete(f.creds, key)
	for i, k := range f.order {
		if k == key {
			f.order = append(f.order[:i], f.order[i+1:]...)
			break
		}
	}
	return nil
}

func (f *fakeAPI) enumerate(prefix string) ([]*credential, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []*credential{}
	for _, k := range f.order {
		if strings.HasPrefix(k, strings.ToUpper(prefix)) {
			out = append(out, clone(f.creds[k]))
		}
	}
	return out, nil
}
