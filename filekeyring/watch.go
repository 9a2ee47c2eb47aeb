package filekeyring

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fsnotify/fsnotify"

	"github.com/moneypenny-go/keyring/internal/eventqueue"
	"github.com/moneypenny-go/keyring/secret"
)

// watchState is the shared file watcher and the list of subscribers. One
// fsnotify watch on the directory serves every Watch call: the file itself
// is replaced by rename on every write, so watching it directly would lose
// track after the first change.
type watchState struct {
	fs   *fsnotify.Watcher
	subs map[*eventqueue.Queue]bool
	done chan struct{}
	// names are the paths whose events matter: the keyring's, and a
	// symbolic link's target, which may live in another directory.
	names map[string]bool
}

// Watch delivers an event for every item created, changed or deleted, by
// this process or another one, until ctx ends or the keyring is closed;
// then the channel is closed.
func (k *Keyring) Watch(ctx context.Context) (<-chan secret.Event, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil, fmt.Errorf("filekeyring: %w", secret.ErrClosed)
	}
	if k.watch == nil {
		if err := k.startWatch(); err != nil {
			return nil, err
		}
	}
	s := eventqueue.New()
	k.watch.subs[s] = true
	done := k.watch.done
	go func() {
		s.Run(ctx, done)
		k.mu.Lock()
		if k.watch != nil {
			delete(k.watch.subs, s)
		}
		k.mu.Unlock()
	}()
	return s.Out(), nil
}

func (k *Keyring) startWatch() error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return k.fail("watch: %w", err)
	}
	dir := filepath.Dir(k.path)
	// The directory must exist to be watched; libsecret creates it too.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		w.Close()
		return k.fail("watch: %w", err)
	}
	if err := w.Add(dir); err != nil {
		w.Close()
		return k.fail("watch %s: %w", dir, err)
	}
	names := map[string]bool{k.path: true}
	if target, err := k.target(); err == nil && target != k.path {
		// Writes through the link replace its target, next to it.
		names[filepath.Clean(target)] = true
		if tdir := filepath.Dir(target); tdir != dir {
			if err := w.Add(tdir); err != nil {
				w.Close()
				return k.fail("watch %s: %w", tdir, err)
			}
		}
	}
	k.watch = &watchState{fs: w, subs: map[*eventqueue.Queue]bool{}, done: make(chan struct{}), names: names}
	go k.watchLoop(k.watch)
	return nil
}

// watchLoop reloads the file whenever something touches its name in the
// directory; refresh compares stamps, so our own writes cost one stat.
func (k *Keyring) watchLoop(ws *watchState) {
	for {
		select {
		case ev, ok := <-ws.fs.Events:
			if !ok {
				return
			}
			if !ws.names[filepath.Clean(ev.Name)] {
				continue
			}
			k.mu.Lock()
			if !k.closed {
				_ = k.refresh(context.Background())
			}
			k.mu.Unlock()
		case _, ok := <-ws.fs.Errors:
			if !ok {
				return
			}
		case <-ws.done:
			return
		}
	}
}

// stopWatch ends every subscription. Called with k.mu held.
func (k *Keyring) stopWatch() {
	if k.watch == nil {
		return
	}
	close(k.watch.done)
	k.watch.fs.Close()
	k.watch = nil
}

// notify tells subscribers how the item set changed from old to new.
// Called with k.mu held.
func (k *Keyring) notify(old, new *contents) {
	if k.watch == nil || len(k.watch.subs) == 0 || old == nil {
		return
	}
	before := make(map[string]*stored, len(old.items))
	for _, s := range old.items {
		before[s.id] = s
	}
	var evs []secret.Event
	for _, s := range new.items {
		o, ok := before[s.id]
		switch {
		case !ok:
			evs = append(evs, secret.Event{Kind: secret.ItemCreated, ItemID: s.id})
		case string(o.blob) != string(s.blob):
			evs = append(evs, secret.Event{Kind: secret.ItemChanged, ItemID: s.id})
		}
		delete(before, s.id)
	}
	for _, s := range old.items {
		if _, gone := before[s.id]; gone {
			evs = append(evs, secret.Event{Kind: secret.ItemDeleted, ItemID: s.id})
		}
	}
	if len(evs) == 0 {
		return
	}
	for s := range k.watch.subs {
		s.Push(evs)
	}
}
