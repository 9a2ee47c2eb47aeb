package main

import (
	"context"
	"fmt"
	"time"

	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/secret"
)

var _ secret.TimesStore = (*fileCollection)(nil)

// Times gives the collection the times of its file (filekeyring.Keyring.Times),
// so that Created and Modified survive a restart of the daemon. A file no
// password opened yet has only what the file system knows
// (filekeyring.StatTimes): its Created can move back once it is unlocked
// and its oldest item is known.
func (f *fileCollection) Times(ctx context.Context) (created, modified time.Time, err error) {
	if err := f.wait(ctx); err != nil {
		return time.Time{}, time.Time{}, err
	}
	f.mu.Lock()
	k, closed := f.k, f.closed
	f.mu.Unlock()
	if closed {
		return time.Time{}, time.Time{}, fmt.Errorf("serve: %s: %w", f.path, secret.ErrClosed)
	}
	if k != nil {
		return k.Times(ctx)
	}
	return filekeyring.StatTimes(f.path)
}
