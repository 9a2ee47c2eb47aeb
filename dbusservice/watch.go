package dbusservice

import (
	"context"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// Collection events, delivered only by Service.Watch (a secret.Store's Watch
// reports items only). For these kinds Event.ItemID holds the collection's
// object path. secret.EventKind's String method does not know them, so
// switch on the constants rather than the text.
const (
	CollectionCreated secret.EventKind = 100 + iota
	CollectionChanged
	CollectionDeleted
)

// Watch delivers change events from every collection of the service until
// ctx ends or the service is closed; then the channel is closed. Item events
// (secret.ItemCreated, ItemChanged, ItemDeleted) carry the item's path in
// ItemID; collection events use CollectionCreated, CollectionChanged and
// CollectionDeleted with the collection's path.
func (s *Service) Watch(ctx context.Context) (<-chan secret.Event, error) {
	return s.watch(ctx, "", nil)
}

// signalKind maps a signal name to the event it reports.
func signalKind(name string) (secret.EventKind, bool) {
	switch name {
	case ifaceCollection + ".ItemCreated":
		return secret.ItemCreated, true
	case ifaceCollection + ".ItemChanged":
		return secret.ItemChanged, true
	case ifaceCollection + ".ItemDeleted":
		return secret.ItemDeleted, true
	case ifaceService + ".CollectionCreated":
		return CollectionCreated, true
	case ifaceService + ".CollectionChanged":
		return CollectionChanged, true
	case ifaceService + ".CollectionDeleted":
		return CollectionDeleted, true
	}
	return 0, false
}

// watch subscribes to the item signals of one collection (collection != "")
// or to item and collection signals everywhere. It ends when ctx does, when
// stop is closed or when the connection closes; the match rules and the
// signal channel are removed then. Signals count only when the current
// owner of org.freedesktop.secrets sent them: any peer can address a forged
// ItemDeleted to our connection.
func (s *Service) watch(ctx context.Context, collection dbus.ObjectPath, stop <-chan struct{}) (<-chan secret.Event, error) {
	if s.isClosed() {
		return nil, secret.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	items := []dbus.MatchOption{dbus.WithMatchSender(busName), dbus.WithMatchInterface(ifaceCollection)}
	if collection != "" {
		items = append(items, dbus.WithMatchObjectPath(collection))
	}
	rules := [][]dbus.MatchOption{items}
	if collection == "" {
		rules = append(rules, []dbus.MatchOption{dbus.WithMatchSender(busName),
			dbus.WithMatchObjectPath(servicePath), dbus.WithMatchInterface(ifaceService)})
	}
	sub, err := s.subscribe(ctx, 64, rules...)
	if err != nil {
		return nil, wrapf(err, "watch: subscribe")
	}
	out := make(chan secret.Event, 16)
	raw := make(chan secret.Event, 16) // one event per change: see watchdedupe.go
	go coalesceEvents(ctx, stop, raw, out, coalesceQuiet, coalesceMax)
	go func() {
		defer close(raw)
		defer sub.close()
		for {
			select {
			case <-ctx.Done():
				return
			case <-stop:
				return
			case sig, ok := <-sub.ch:
				if !ok {
					return // connection closed
				}
				// Only the service's current owner speaks for it; after a
				// restart that is the new process.
				if _, _, trusted := sub.sort(sig); !trusted {
					continue
				}
				ev, ok := toEvent(sig, collection)
				if !ok {
					continue
				}
				select {
				case raw <- ev:
				case <-ctx.Done():
					return
				case <-stop:
					return
				}
			}
		}
	}()
	return out, nil
}

// toEvent turns a matching signal into an event; signals of other objects
// or of the wrong shape (the channel sees every signal of the connection)
// are skipped.
func toEvent(sig *dbus.Signal, collection dbus.ObjectPath) (secret.Event, bool) {
	kind, ok := signalKind(sig.Name)
	if !ok {
		return secret.Event{}, false
	}
	if collection != "" && (sig.Path != collection || kind >= CollectionCreated) {
		return secret.Event{}, false
	}
	if collection == "" && kind >= CollectionCreated && sig.Path != servicePath {
		return secret.Event{}, false
	}
	p, ok := arg[dbus.ObjectPath](sig.Body, 0)
	if !ok || !exactly(sig.Body, 1) || !validPath(p) {
		return secret.Event{}, false
	}
	return secret.Event{Kind: kind, ItemID: string(p)}, true
}
