package provider

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dhsession"
	"github.com/moneypenny-go/keyring/secret"
)

// Options configures a Server. Every field is optional.
type Options struct {
	// NewCollection makes the store of a collection a client creates with
	// CreateCollection; id is the escaped label the object path uses. nil
	// keeps new collections in memory (NewMemoryStore).
	NewCollection func(ctx context.Context, id, label string) (secret.Store, error)
	// CollectionDeleted is told that a client deleted collection id; its
	// store is closed already. The daemon removes the file here.
	CollectionDeleted func(ctx context.Context, id string) error
	// Unlock unlocks a locked collection while a client's Unlock prompt
	// runs; ctx ends when the client dismisses the prompt or leaves the
	// bus. An error wrapping secret.ErrDismissed (or any error) completes
	// the prompt as dismissed. nil calls the store's own Unlock.
	Unlock func(ctx context.Context, id string, st secret.Store) error
	// AliasChanged is told that alias now names collection id ("" when
	// removed), for the daemon to persist the default alias.
	AliasChanged func(alias, id string)
	// Logf receives one line per failure worth an administrator's look.
	// It never receives secret bytes. nil discards.
	Logf func(format string, args ...any)
	// CallTimeout bounds each store operation a D-Bus call makes; 0 means
	// 30 seconds.
	CallTimeout time.Duration
}

// Server serves the Secret Service API on one connection. Its methods are
// safe for concurrent use.
type Server struct {
	conn *dbus.Conn
	o    Options
	ctx  context.Context
	stop context.CancelFunc
	lost chan struct{}

	createMu sync.Mutex // serialises CreateCollection
	exportMu sync.Mutex // serialises godbus exports (exportTable)
	mu       sync.Mutex
	closed   bool
	colls    map[string]*collection
	order    []string
	aliases  map[string]string
	sessions map[string]*session
	prompts  map[string]*prompt
	requests map[dbus.ObjectPath]portalReq // RetrieveSecret calls running
	serial   uint64
	lostOnce sync.Once
	portal   *dbus.Conn // where ExportPortal serves, nil before
	// spare is the DH key pair of the next OpenSession, generated ahead;
	// refillDelay bounds how long an open session defers its replacement.
	spare       *dhsession.Spare
	refillDelay time.Duration

	// Set by Connect: the connection is the server's own, and fast
	// answers the hot calls (fastpath.go).
	ownConn    bool
	fast       *fastConn
	fastSerial atomic.Uint32
}

// New exports the Secret Service objects on conn. They answer at once, but
// clients find the service only after Claim takes the bus name. conn stays
// the caller's; Close unexports but does not close it.
func New(conn *dbus.Conn, o Options) (*Server, error) {
	if o.CallTimeout <= 0 {
		o.CallTimeout = 30 * time.Second
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{conn: conn, o: o, ctx: ctx, stop: stop, lost: make(chan struct{}),
		colls: map[string]*collection{}, aliases: map[string]string{},
		sessions: map[string]*session{}, prompts: map[string]*prompt{}, requests: map[dbus.ObjectPath]portalReq{},
		spare: dhsession.NewSpare(dhsession.Oakley1024()), refillDelay: refillDelay}
	if err := s.export(); err != nil {
		stop()
		s.spare.Close()
		return nil, err
	}
	if err := s.watchPeers(); err != nil {
		s.unexport()
		stop()
		s.spare.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) logf(format string, args ...any) {
	if s.o.Logf != nil {
		s.o.Logf(format, args...)
	}
}

// callCtx is the context of one store operation.
func (s *Server) callCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, s.o.CallTimeout)
}

// AddCollection serves st as the collection id (the last element of its
// object path: letters, digits and _; see EscapeID) with a label. The
// server owns st from now on and closes it in Close.
func (s *Server) AddCollection(id, label string, st secret.Store) error {
	if !validID(id) {
		return fmt.Errorf("provider: collection id %q is not an object path element: %w", id, secret.ErrInvalidArgument)
	}
	c := newCollection(id, label, st)
	// Subscribed before any handler can see c: c.watched never changes
	// once c is shared.
	s.startWatch(c)
	s.mu.Lock()
	if s.closed || s.colls[id] != nil {
		closed := s.closed
		s.mu.Unlock()
		if c.stop != nil {
			c.stop()
		}
		if closed {
			return fmt.Errorf("provider: %w", secret.ErrClosed)
		}
		return fmt.Errorf("provider: collection %q exists", id)
	}
	s.colls[id] = c
	s.order = append(s.order, id)
	s.mu.Unlock()
	s.emit(servicePath, ifaceService+".CollectionCreated", c.path())
	s.collectionsChanged()
	return nil
}

// SetAlias makes alias name collection id ("" removes the alias).
func (s *Server) SetAlias(alias, id string) error {
	if !validID(alias) {
		return fmt.Errorf("provider: alias %q: %w", alias, secret.ErrInvalidArgument)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		delete(s.aliases, alias)
		return nil
	}
	if _, ok := s.colls[id]; !ok {
		return fmt.Errorf("provider: collection %q: %w", id, secret.ErrNotFound)
	}
	s.aliases[alias] = id
	return nil
}

// Claim requests the bus name org.freedesktop.secrets. With replace it takes
// the name from the current owner if that owner allows replacement (as
// gnome-keyring and this server do); otherwise an owned name is an error.
// The server in turn lets a later Claim with replace take the name from it:
// Lost is closed then.
func (s *Server) Claim(replace bool) error {
	flags := dbus.NameFlagAllowReplacement | dbus.NameFlagDoNotQueue
	if replace {
		flags |= dbus.NameFlagReplaceExisting
	}
	reply, err := s.conn.RequestName(BusName, flags)
	if err != nil {
		return fmt.Errorf("provider: request %s: %w", BusName, err)
	}
	switch reply {
	case dbus.RequestNameReplyPrimaryOwner, dbus.RequestNameReplyAlreadyOwner:
		// The first session's key pair, generated now that clients
		// can come rather than while the service starts.
		s.spare.Refill()
		return nil
	}
	if replace {
		// gnome-keyring-daemon, for one, does not allow replacement:
		// it has to be stopped (or started without its secrets
		// component) first.
		return fmt.Errorf("provider: %s is owned by a service that does not let itself be replaced (gnome-keyring: stop it, or run it without the secrets component): %w", BusName, secret.ErrUnavailable)
	}
	return fmt.Errorf("provider: %s is owned by another service (use replace to take it over): %w", BusName, secret.ErrUnavailable)
}

// Lost is closed when the server no longer owns the bus name: another
// service took it over, or the connection to the bus ended (the bus went
// away, or the connection was closed before Close). Connected tells the
// two apart.
func (s *Server) Lost() <-chan struct{} { return s.lost }

// Connected reports whether the server's connection to the bus is up.
func (s *Server) Connected() bool { return s.conn.Connected() }

// Close dismisses pending prompts, wipes every session key, unexports the
// objects and closes every collection's store.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	colls := make([]*collection, 0, len(s.order))
	for _, id := range s.order {
		colls = append(colls, s.colls[id])
	}
	sessions, prompts := s.sessions, s.prompts
	s.sessions, s.prompts = map[string]*session{}, map[string]*prompt{}
	s.mu.Unlock()
	for _, p := range prompts {
		p.cancel()
	}
	s.spare.Close() // first: closing the sessions must not start a refill
	for _, ss := range sessions {
		ss.close()
	}
	if s.fast != nil {
		s.fast.hot.Store(nil)
	}
	s.unexport()
	s.stop()
	var first error
	for _, c := range colls {
		if err := c.store.Close(); err != nil && first == nil {
			first = err
		}
	}
	if s.ownConn {
		if err := s.conn.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// nextName returns prefix and a serial number: s1, p2, u3.
func (s *Server) nextName(prefix string) string {
	s.serial++
	return prefix + strconv.FormatUint(s.serial, 10)
}

// resolve finds the collection a path names, through an alias if need be.
func (s *Server) resolve(t target) (*collection, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := t.coll
	if t.alias {
		var ok bool
		if id, ok = s.aliases[t.coll]; !ok {
			return nil, false
		}
	}
	c, ok := s.colls[id]
	return c, ok
}

// resolveItem finds the collection and item handle of an item path.
func (s *Server) resolveItem(p dbus.ObjectPath) (*collection, uint64, secret.Item, *dbus.Error) {
	t := parsePath(p)
	if t.kind != targetItem {
		return nil, 0, nil, noSuchObject(p)
	}
	c, ok := s.resolve(t)
	if !ok {
		return nil, 0, nil, noSuchObject(p)
	}
	it, ok := c.item(t.item)
	if !ok && c.numbered(t.item) {
		// Numbered from a change event but not listed yet: list the
		// store once to get a handle. (A number never given out is
		// refused at once: probing paths costs no listing.)
		ctx, cancel := s.callCtx()
		_, _ = c.allItems(ctx)
		cancel()
		it, ok = c.item(t.item)
	}
	if !ok {
		return nil, 0, nil, noSuchObject(p)
	}
	return c, t.item, it, nil
}

// collectionAt finds the collection of a collection or alias path.
func (s *Server) collectionAt(p dbus.ObjectPath) (*collection, *dbus.Error) {
	t := parsePath(p)
	if t.kind != targetCollection {
		return nil, noSuchObject(p)
	}
	c, ok := s.resolve(t)
	if !ok {
		return nil, noSuchObject(p)
	}
	return c, nil
}

// collectionList is the collections in creation order.
func (s *Server) collectionList() []*collection {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*collection, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.colls[id])
	}
	return out
}

// session finds the session at p, which must belong to sender.
func (s *Server) session(p dbus.ObjectPath, sender string) (*session, *dbus.Error) {
	t := parsePath(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.kind == targetSession {
		if ss, ok := s.sessions[t.name]; ok && ss.owner == sender {
			return ss, nil
		}
	}
	return nil, dbusErr(ErrorNoSession, "The session does not exist: "+string(p))
}

func (s *Server) emit(p dbus.ObjectPath, name string, args ...any) {
	if err := s.conn.Emit(p, name, args...); err != nil {
		s.logf("provider: emit %s: %v", name, err)
	}
}

func (s *Server) collectionsChanged() {
	s.emit(servicePath, ifaceProps+".PropertiesChanged", ifaceService,
		map[string]dbus.Variant{"Collections": dbus.MakeVariant(s.collectionPaths())}, []string{})
}

func (s *Server) collectionPaths() []dbus.ObjectPath {
	cs := s.collectionList()
	out := make([]dbus.ObjectPath, len(cs))
	for i, c := range cs {
		out[i] = c.path()
	}
	return out
}

// startWatch forwards the store's change events as item signals. A store
// without Watch gets its signals from the handlers instead.
func (s *Server) startWatch(c *collection) {
	ctx, cancel := context.WithCancel(s.ctx)
	events, err := c.store.Watch(ctx)
	if err != nil {
		cancel()
		return
	}
	c.watched, c.stop = true, cancel
	go func() {
		for ev := range events {
			s.itemEvent(c, ev.Kind, ev.ItemID)
		}
	}()
}

// itemEvent emits the signal of one change and keeps the numbering.
func (s *Server) itemEvent(c *collection, kind secret.EventKind, storeID string) {
	var n uint64
	if kind == secret.ItemDeleted {
		var ok bool
		if n, ok = c.numberOf(storeID); !ok {
			return
		}
		c.forget(storeID)
	} else {
		c.mu.Lock()
		n = c.numberLocked(storeID, nil)
		c.mu.Unlock()
	}
	c.touch()
	name := map[secret.EventKind]string{secret.ItemCreated: ".ItemCreated", secret.ItemChanged: ".ItemChanged", secret.ItemDeleted: ".ItemDeleted"}[kind]
	if name == "" {
		return
	}
	p := itemPath(c.id, n)
	s.emit(c.path(), ifaceCollection+name, p)
	// Proxies that cache the Items list or an item's properties learn
	// that they are stale.
	s.emit(c.path(), ifaceProps+".PropertiesChanged", ifaceCollection, map[string]dbus.Variant{}, []string{"Items", "Modified"})
	if kind == secret.ItemChanged {
		s.emit(p, ifaceProps+".PropertiesChanged", ifaceItem, map[string]dbus.Variant{}, []string{"Label", "Attributes", "Modified"})
	}
}

// changed reports a change made through D-Bus when the store has no Watch.
func (s *Server) changed(c *collection, kind secret.EventKind, storeID string) {
	if !c.watched {
		s.itemEvent(c, kind, storeID)
		return
	}
	c.touch()
}

// collectionChanged tells clients that a collection's label or lock state
// changed: CollectionChanged, and PropertiesChanged with the new values, so
// that proxies caching them (libsecret's) stay right.
func (s *Server) collectionChanged(c *collection) {
	ctx, cancel := s.callCtx()
	locked := c.isLocked(ctx)
	_, modified := c.times(ctx)
	cancel()
	c.mu.Lock()
	props := map[string]dbus.Variant{"Label": dbus.MakeVariant(c.label), "Locked": dbus.MakeVariant(locked),
		"Modified": dbus.MakeVariant(unixTime(modified))}
	c.mu.Unlock()
	s.emit(servicePath, ifaceService+".CollectionChanged", c.path())
	s.emit(c.path(), ifaceProps+".PropertiesChanged", ifaceCollection, props, []string{"Items"})
}
