package secret

import (
	"context"
	"time"
)

// TimesStore is implemented by a Store that knows when its collection was
// created and last modified, as io/fs's optional interfaces extend fs.FS.
// Where the store cannot tell (a keyring file that was never written) a
// time is zero. A Secret Service provider serves these as the collection's
// Created and Modified properties, so they survive a restart of the
// provider; stores without the method get the time the provider first
// served them.
type TimesStore interface {
	Store
	// Times reports the collection's creation and last modification time.
	Times(ctx context.Context) (created, modified time.Time, err error)
}
