package filekeyring

import (
	"context"
	"os"
	"time"
)

// The v1 format stores no creation time for the keyring and, in the clear,
// only the time of the last store (the header's modification time, which a
// clear leaves alone). So the keyring's times are put together from what
// there is:
//
//   - Modified is the latest of the file's mtime (every write, clears
//     included, sets it), the header's modification time and, while the
//     keyring is unlocked, the newest item's Modified.
//   - Created is the earliest of the file's birth time where the file
//     system records one, its mtime and, while unlocked, the oldest item's
//     Created. The birth time alone would not do: every writer (libsecret,
//     oo7 and this package) replaces the file by renaming a new one over
//     it, so the birth time is that of the last write, not of the keyring.
//     The oldest item is the better witness, and it is in the file, so the
//     time survives a restart of whoever reads it.
//
// Item times are readable only with the key. Those of a keyring locked
// since its last change are remembered from when it was unlocked; a keyring
// changed while locked, or never unlocked, reports the file's times alone
// until it is unlocked.

// itemTimes caches the oldest Created and newest Modified of the items of
// one version of the contents (a change makes new contents).
type itemTimes struct {
	c              *contents
	oldest, newest uint64
}

// Times reports when the keyring was created and last modified, as far as
// the file tells (see above); both are zero for a keyring never written. It
// satisfies secret.TimesStore.
func (k *Keyring) Times(ctx context.Context) (created, modified time.Time, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.refresh(ctx); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if k.seen.info == nil {
		return time.Time{}, time.Time{}, nil
	}
	created, modified = fileTimes(k.path, k.seen.info)
	modified = later(modified, k.c.modified)
	if k.key != nil && k.times.c != k.c {
		t := itemTimes{c: k.c}
		for _, s := range k.c.items {
			if !s.valid(k.key) {
				continue
			}
			d, err := s.metadata(k.key)
			if err != nil {
				continue
			}
			if plausible(d.created) && (t.oldest == 0 || d.created < t.oldest) {
				t.oldest = d.created
			}
			if plausible(d.modified) && d.modified > t.newest {
				t.newest = d.modified
			}
		}
		k.times = t
	}
	if k.times.c == k.c {
		created = earlier(created, k.times.oldest)
		modified = later(modified, k.times.newest)
	}
	return created, modified, nil
}

// StatTimes reports the times of the keyring file at path that the file
// system knows, without opening the keyring: Created is the earlier of its
// birth time (where recorded) and its mtime, Modified its mtime. A file
// that does not exist has zero times and no error. It serves a keyring that
// was never unlocked; Keyring.Times knows more.
func StatTimes(path string) (created, modified time.Time, err error) {
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return time.Time{}, time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	created, modified = fileTimes(path, fi)
	return created, modified, nil
}

// fileTimes is the file's birth time (or mtime, if earlier or unknown) and
// its mtime.
func fileTimes(path string, fi os.FileInfo) (created, modified time.Time) {
	modified = fi.ModTime()
	created = modified
	if b := birthTime(path, fi); !b.IsZero() && b.Before(created) {
		created = b
	}
	return created, modified
}

// plausible rejects the zero of an importer that had no time, and values
// too large to be a time at all (the file is untrusted).
func plausible(unix uint64) bool { return unix > 0 && unix < 1<<40 }

func earlier(t time.Time, unix uint64) time.Time {
	if plausible(unix) {
		if u := time.Unix(int64(unix), 0); u.Before(t) {
			return u
		}
	}
	return t
}

func later(t time.Time, unix uint64) time.Time {
	if plausible(unix) {
		if u := time.Unix(int64(unix), 0); u.After(t) {
			return u
		}
	}
	return t
}
