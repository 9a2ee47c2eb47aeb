package dbusservice

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// Names and paths of the API. The bus name is lower-case and plural, the
// interfaces capitalised and singular: an easy pair to mix up.
const (
	busName         = "org.freedesktop.secrets"
	servicePath     = dbus.ObjectPath("/org/freedesktop/secrets")
	aliasPrefix     = "/org/freedesktop/secrets/aliases/"
	collectionPfx   = "/org/freedesktop/secrets/collection/"
	ifaceService    = "org.freedesktop.Secret.Service"
	ifaceCollection = "org.freedesktop.Secret.Collection"
	ifaceItem       = "org.freedesktop.Secret.Item"
	ifaceSession    = "org.freedesktop.Secret.Session"
	ifacePrompt     = "org.freedesktop.Secret.Prompt"
	ifaceProperties = "org.freedesktop.DBus.Properties"

	// noObject is what the API returns for "no collection" and "no prompt".
	noObject = dbus.ObjectPath("/")
)

// cleanupTimeout bounds the best-effort calls made after the caller's context
// has ended (Dismiss, RemoveMatch, Session.Close).
const cleanupTimeout = 2 * time.Second

// Service is a private connection to the Secret Service. It is safe for
// concurrent use. Close it when done: that closes the session and the
// connection.
type Service struct {
	conn       *dbus.Conn
	cancelConn context.CancelFunc
	o          options

	closed    atomic.Bool
	closeOnce sync.Once

	openMu    sync.Mutex // serialises opening the session (held across the call)
	sessMu    sync.Mutex // guards sess and sessEnded (held briefly)
	sess      *session
	sessEnded bool // set by Close: a session opened afterwards is ended at once
}

// Connect opens a private connection to the session bus (never the shared
// one of dbus.SessionBus, never an autolaunched one) and a transfer session
// with the Secret Service. A missing bus or service fails with an error
// wrapping secret.ErrUnavailable before ctx's deadline.
func Connect(ctx context.Context, opts ...Option) (*Service, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkString("window id", o.windowID); err != nil {
		return nil, err
	}
	addr, err := busAddress(o)
	if err != nil {
		return nil, err
	}
	conn, cancel, err := dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	s := &Service{conn: conn, cancelConn: cancel, o: o}
	// Opening the session is the first call to the service: it proves the
	// service is there (or D-Bus-activates it) and prepares secret transfer.
	if _, err := s.session(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the session and the connection. Calls made afterwards fail
// with secret.ErrClosed. Close is idempotent.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		// Not openMu: Close must not wait for a session being opened; that
		// call fails with ErrClosed when the connection goes.
		s.sessMu.Lock()
		ss := s.sess
		s.sess, s.sessEnded = nil, true
		s.sessMu.Unlock()
		if ss != nil {
			s.closeSessionPath(ss.path)
			ss.end() // waits for secrets being encoded or decoded
		}
		s.closed.Store(true)
		_ = s.conn.Close()
		s.cancelConn()
	})
	return nil
}

func (s *Service) isClosed() bool { return s.closed.Load() }

// call makes one method call bounded by ctx and returns the reply body, or
// the mapped error wrapped with the method and object.
func (s *Service) call(ctx context.Context, path dbus.ObjectPath, method string, args ...any) ([]any, error) {
	if s.isClosed() {
		return nil, fmt.Errorf("dbusservice: %s: %w", shortMethod(method), secret.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dbusservice: %s: %w", shortMethod(method), err)
	}
	c := s.conn.Object(busName, path).CallWithContext(ctx, method, 0, args...)
	if c.Err != nil {
		return nil, fmt.Errorf("dbusservice: %s %s: %w", shortMethod(method), path, s.mapError(ctx, c.Err))
	}
	return c.Body, nil
}

// shortMethod drops the interface prefix for error texts.
func shortMethod(m string) string {
	if i := strings.LastIndex(m, "."); i >= 0 {
		return m[i+1:]
	}
	return m
}

// validPath reports whether p is a real object (not "/" and well-formed).
func validPath(p dbus.ObjectPath) bool { return p != noObject && p.IsValid() }

// ReadAlias returns the collection an alias names ("default", "session",
// "login", …). An alias that names nothing (the service answers "/") is
// secret.ErrNotFound.
func (s *Service) ReadAlias(ctx context.Context, name string) (dbus.ObjectPath, error) {
	if err := checkString("alias", name); err != nil {
		return "", err
	}
	body, err := s.call(ctx, servicePath, ifaceService+".ReadAlias", name)
	if err != nil {
		return "", err
	}
	p, ok := arg[dbus.ObjectPath](body, 0)
	if !ok || !exactly(body, 1) || !p.IsValid() {
		return "", malformed("ReadAlias", "o")
	}
	if p == noObject {
		return "", fmt.Errorf("dbusservice: no collection has the alias %q: %w", name, secret.ErrNotFound)
	}
	return p, nil
}

// SetAlias points alias name at collection c; c == "/" removes the alias.
// gnome-keyring accepts only "default" and answers NotSupported
// (secret.ErrNotSupported) for other names.
func (s *Service) SetAlias(ctx context.Context, name string, c dbus.ObjectPath) error {
	if err := checkString("alias", name); err != nil {
		return err
	}
	if !c.IsValid() {
		return fmt.Errorf("dbusservice: SetAlias: %q is not an object path: %w", c, secret.ErrInvalidArgument)
	}
	_, err := s.call(ctx, servicePath, ifaceService+".SetAlias", name, c)
	return err
}

// DefaultCollection returns the collection the "default" alias names, the
// one libsecret and every other client store into. It never assumes
// gnome-keyring's "login"; when no default exists it fails with
// secret.ErrNotFound (create one with CreateCollection(ctx, label, "default")).
func (s *Service) DefaultCollection(ctx context.Context) (*Collection, error) {
	return s.Collection(ctx, "default")
}

// Collection opens a collection by alias ("default", "session", any alias
// the service knows) or by object path. Alias paths
// (/org/freedesktop/secrets/aliases/NAME) are resolved to the collection's
// own path, so item paths and change events match what the service reports.
// A plain name that is not an alias is tried as a collection id, the way
// gnome-keyring names collections ("login" → …/collection/login).
func (s *Service) Collection(ctx context.Context, aliasOrPath string) (*Collection, error) {
	if aliasOrPath == "" {
		return nil, fmt.Errorf("dbusservice: empty collection name: %w", secret.ErrInvalidArgument)
	}
	var path dbus.ObjectPath
	switch {
	case strings.HasPrefix(aliasOrPath, aliasPrefix):
		p, err := s.ReadAlias(ctx, strings.TrimPrefix(aliasOrPath, aliasPrefix))
		if err != nil {
			return nil, err
		}
		path = p
	case strings.HasPrefix(aliasOrPath, "/"):
		path = dbus.ObjectPath(aliasOrPath)
		if !validPath(path) {
			return nil, fmt.Errorf("dbusservice: %q is not a collection path: %w", aliasOrPath, secret.ErrInvalidArgument)
		}
	default:
		p, err := s.ReadAlias(ctx, aliasOrPath)
		switch {
		case err == nil:
			path = p
		case isNotFound(err):
			path = dbus.ObjectPath(collectionPfx + escapeID(aliasOrPath))
		default:
			return nil, err
		}
	}
	c := &Collection{svc: s, path: path}
	// Reading the label proves the collection exists and gives Info a name.
	label, err := c.Label(ctx)
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("dbusservice: collection %q (%s): %w", aliasOrPath, path, secret.ErrNotFound)
		}
		return nil, err
	}
	c.label = label
	return c, nil
}

// escapeID spells a name the way gnome-keyring turns a label into a
// collection id: [A-Za-z0-9] pass, every other byte becomes _xx (hex).
func escapeID(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "_%02x", c)
	}
	return b.String()
}

// Collections lists every collection the service has.
func (s *Service) Collections(ctx context.Context) ([]*Collection, error) {
	v, err := s.getProperty(ctx, servicePath, ifaceService, "Collections")
	if err != nil {
		return nil, err
	}
	paths, ok := variantOf[[]dbus.ObjectPath](v)
	if !ok {
		return nil, malformed("Collections property", "ao")
	}
	out := make([]*Collection, 0, len(paths))
	for _, p := range paths {
		out = append(out, &Collection{svc: s, path: p})
	}
	return out, nil
}

// CreateCollection creates a collection with the given label and, unless
// alias is "", gives it that alias. The service usually prompts for the new
// collection's password; the wait is bounded by ctx, and a dismissed prompt
// is secret.ErrDismissed.
func (s *Service) CreateCollection(ctx context.Context, label, alias string) (*Collection, error) {
	if err := checkString("label", label); err != nil {
		return nil, err
	}
	if err := checkString("alias", alias); err != nil {
		return nil, err
	}
	props := map[string]dbus.Variant{ifaceCollection + ".Label": dbus.MakeVariant(label)}
	body, err := s.call(ctx, servicePath, ifaceService+".CreateCollection", props, alias)
	if err != nil {
		return nil, err
	}
	path, err := s.objectOrPrompt(ctx, "CreateCollection", "a collection", body)
	if err != nil {
		return nil, wrapf(err, "create collection %q", label)
	}
	return &Collection{svc: s, path: path, label: label}, nil
}

// SearchItems finds items in every collection whose attributes contain
// attrs (an empty set matches every item: it reads each collection's Items,
// since KeePassXC and kwalletd do not match every item for it). Items in
// locked collections come back separately: their secrets cannot be read
// until Unlock. A locked collection that hides its items (a locked
// KeePassXC database) is unlocked first when auto-unlock is on and is
// secret.ErrLocked otherwise, never a search that silently skipped it.
func (s *Service) SearchItems(ctx context.Context, attrs secret.Attributes) (unlocked, locked []*Item, err error) {
	if err := checkAttributes(attrs); err != nil {
		return nil, nil, err
	}
	search := s.searchOnce
	if len(attrs) == 0 {
		search = func(ctx context.Context, _ secret.Attributes) ([]*Item, []*Item, error) { return s.allItems(ctx) }
	}
	unlocked, locked, err = search(ctx, attrs)
	if err != nil {
		return nil, nil, err
	}
	hiding, err := s.hidingCollections(ctx, unlocked, locked)
	if err != nil || len(hiding) == 0 {
		return unlocked, locked, err
	}
	for _, c := range hiding {
		if !s.o.autoUnlock {
			return nil, nil, fmt.Errorf("dbusservice: collection %s is locked and shows no items until unlocked: %w", c.path, secret.ErrLocked)
		}
		if err := s.unlockOne(ctx, c.path, ifaceCollection, "collection"); err != nil {
			return nil, nil, err
		}
	}
	return search(ctx, attrs)
}

func (s *Service) searchOnce(ctx context.Context, attrs secret.Attributes) (unlocked, locked []*Item, err error) {
	body, err := s.call(ctx, servicePath, ifaceService+".SearchItems", attrMap(attrs))
	if err != nil {
		return nil, nil, err
	}
	u, ok1 := arg[[]dbus.ObjectPath](body, 0)
	l, ok2 := arg[[]dbus.ObjectPath](body, 1)
	if !ok1 || !ok2 || !exactly(body, 2) {
		return nil, nil, malformed("SearchItems", "(ao, ao)")
	}
	return s.items(u), s.items(l), nil
}

// hidingCollections are the collections a search found nothing in that
// hide their items while locked (see hidesItems). A collection with a
// result lists its items, locked or not, and is not asked.
func (s *Service) hidingCollections(ctx context.Context, found ...[]*Item) ([]*Collection, error) {
	colls, err := s.Collections(ctx)
	if err != nil {
		return nil, err
	}
	var hiding []*Collection
	for _, c := range colls {
		prefix := string(c.path) + "/"
		if slices.ContainsFunc(found, func(items []*Item) bool {
			return slices.ContainsFunc(items, func(it *Item) bool { return strings.HasPrefix(string(it.path), prefix) })
		}) {
			continue
		}
		hidden, err := c.hidesItems(ctx)
		if isNotFound(err) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		if hidden {
			hiding = append(hiding, c)
		}
	}
	return hiding, nil
}

// allItems is SearchItems for the empty query: every collection's Items
// property, split by its Locked property. KeePassXC's SearchItems({})
// matches nothing and kwalletd's skips items without attributes.
func (s *Service) allItems(ctx context.Context) (unlocked, locked []*Item, err error) {
	colls, err := s.Collections(ctx)
	if err != nil {
		return nil, nil, err
	}
	unlocked, locked = []*Item{}, []*Item{}
	for _, c := range colls {
		paths, err := s.pathsProperty(ctx, c.path, ifaceCollection, "Items")
		if isNotFound(err) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, nil, err
		}
		isLocked, err := s.boolProperty(ctx, c.path, ifaceCollection, "Locked")
		if err != nil && !isNotFound(err) {
			return nil, nil, err
		}
		if isLocked {
			locked = append(locked, s.items(paths)...)
		} else {
			unlocked = append(unlocked, s.items(paths)...)
		}
	}
	return unlocked, locked, nil
}

func (s *Service) items(paths []dbus.ObjectPath) []*Item {
	out := make([]*Item, 0, len(paths))
	for _, p := range paths {
		out = append(out, s.Item(p))
	}
	return out
}

// Item returns the item at path. Nothing is checked until it is used.
func (s *Service) Item(path dbus.ObjectPath) *Item { return &Item{svc: s, path: path} }

// GetSecrets reads the secrets of many items in one GetSecrets call (one
// round trip instead of one per item). Items that are locked or gone are left
// out of the map (also on kwalletd 5, which answers for a locked item with
// an empty secret): unlock them first. The caller owns the values and should
// Wipe them.
func (s *Service) GetSecrets(ctx context.Context, items ...*Item) (map[dbus.ObjectPath]*secret.Value, error) {
	out := make(map[dbus.ObjectPath]*secret.Value, len(items))
	if len(items) == 0 {
		return out, nil
	}
	paths := make([]dbus.ObjectPath, 0, len(items))
	want := make(map[dbus.ObjectPath]bool, len(items))
	for _, it := range items {
		if it == nil || !validPath(it.path) {
			return nil, fmt.Errorf("dbusservice: GetSecrets: invalid item: %w", secret.ErrInvalidArgument)
		}
		if !want[it.path] {
			want[it.path] = true
			paths = append(paths, it.path)
		}
	}
	err := s.withSession(ctx, func(ss *session) error {
		body, err := s.call(ctx, servicePath, ifaceService+".GetSecrets", paths, ss.path)
		if err != nil && len(paths) > 1 && (errors.Is(err, secret.ErrInvalidArgument) || isNotFound(err)) {
			// kwalletd 5 fails the whole call for one item that is gone
			// (InvalidArgs "Can't find item"); ask again without those.
			var existing []dbus.ObjectPath
			if existing, err = s.existing(ctx, paths, err); err == nil {
				if len(existing) == 0 {
					return nil
				}
				body, err = s.call(ctx, servicePath, ifaceService+".GetSecrets", existing, ss.path)
			}
		}
		if err != nil {
			return err
		}
		m, ok := arg[map[dbus.ObjectPath][]any](body, 0)
		if !ok || !exactly(body, 1) {
			return malformed("GetSecrets", "a{o(oayays)}")
		}
		defer wipeWire(m)
		for p, fields := range m {
			if !want[p] {
				continue
			}
			ws, ok := parseSecret(fields)
			if !ok {
				return malformed("GetSecrets", "a{o(oayays)}")
			}
			v, err := ss.decode(ws)
			if err != nil {
				return wrapf(err, "GetSecrets: item %s", p)
			}
			out[p] = v
		}
		return nil
	})
	if err == nil {
		err = s.dropLockedEmpty(ctx, out)
	}
	if err != nil {
		for _, v := range out {
			v.Wipe()
		}
		return nil, err
	}
	return out, nil
}

// existing returns the items of paths the service still knows, or callErr
// when every one of them exists (the call failed for another reason).
func (s *Service) existing(ctx context.Context, paths []dbus.ObjectPath, callErr error) ([]dbus.ObjectPath, error) {
	out := make([]dbus.ObjectPath, 0, len(paths))
	for _, p := range paths {
		_, err := s.boolProperty(ctx, p, ifaceItem, "Locked")
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if len(out) == len(paths) {
		return nil, callErr
	}
	return out, nil
}

// dropLockedEmpty removes the empty secrets of locked items from a
// GetSecrets answer: kwalletd 5 answers for locked items with an empty
// secret instead of leaving them out.
func (s *Service) dropLockedEmpty(ctx context.Context, got map[dbus.ObjectPath]*secret.Value) error {
	for p, v := range got {
		if v.Len() > 0 {
			continue
		}
		locked, err := s.boolProperty(ctx, p, ifaceItem, "Locked")
		if err != nil {
			return wrapf(err, "GetSecrets: item %s", p)
		}
		if locked {
			delete(got, p)
		}
	}
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, secret.ErrNotFound) }
