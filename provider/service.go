package provider

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strconv"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dhsession"
	"github.com/moneypenny-go/keyring/secret"
)

func sender(msg dbus.Message) string {
	s, _ := msg.Headers[dbus.FieldSender].Value().(string)
	return s
}

func msgPath(msg dbus.Message) dbus.ObjectPath {
	p, _ := msg.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
	return p
}

// serviceMethods is org.freedesktop.Secret.Service, answered only at
// /org/freedesktop/secrets.
func (s *Server) serviceMethods() map[string]any {
	at := func(msg dbus.Message) *dbus.Error {
		if p := msgPath(msg); p != servicePath {
			return dbusErr(errorUnknownMethod, "no Service interface at "+string(p))
		}
		return nil
	}
	return map[string]any{
		"OpenSession": func(msg dbus.Message, algorithm string, input dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
			if e := at(msg); e != nil {
				return dbus.MakeVariant(""), noPath, e
			}
			return s.openSession(sender(msg), algorithm, input)
		},
		"CreateCollection": func(msg dbus.Message, props map[string]dbus.Variant, alias string) (dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
			if e := at(msg); e != nil {
				return noPath, noPath, e
			}
			return s.createCollection(props, alias)
		},
		"SearchItems": func(msg dbus.Message, attrs map[string]string) ([]dbus.ObjectPath, []dbus.ObjectPath, *dbus.Error) {
			if e := at(msg); e != nil {
				return nil, nil, e
			}
			return s.searchAll(secret.Attributes(attrs))
		},
		"Unlock": func(msg dbus.Message, objects []dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
			if e := at(msg); e != nil {
				return nil, noPath, e
			}
			return s.unlock(sender(msg), objects)
		},
		"Lock": func(msg dbus.Message, objects []dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
			if e := at(msg); e != nil {
				return nil, noPath, e
			}
			return s.lock(objects)
		},
		"GetSecrets": func(msg dbus.Message, items []dbus.ObjectPath, session dbus.ObjectPath) (map[dbus.ObjectPath]wireSecret, *dbus.Error) {
			if e := at(msg); e != nil {
				return nil, e
			}
			found, e := s.getSecrets(sender(msg), items, session)
			if e != nil {
				return nil, e
			}
			out := make(map[dbus.ObjectPath]wireSecret, len(found))
			for _, f := range found {
				out[f.path] = f.secret
			}
			return out, nil
		},
		"ReadAlias": func(msg dbus.Message, name string) (dbus.ObjectPath, *dbus.Error) {
			if e := at(msg); e != nil {
				return noPath, e
			}
			if c, ok := s.resolve(target{coll: name, alias: true}); ok {
				return c.path(), nil
			}
			return noPath, nil
		},
		"SetAlias": func(msg dbus.Message, name string, coll dbus.ObjectPath) *dbus.Error {
			if e := at(msg); e != nil {
				return e
			}
			return s.setAliasCall(name, coll)
		},
	}
}

func (s *Server) openSession(owner, algorithm string, input dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
	var ss *session
	out := dbus.MakeVariant("")
	switch algorithm {
	case algorithmPlain:
		ss = &session{owner: owner, plain: true}
	case "dh-ietf1024-sha256-aes128-cbc-pkcs7":
		pub, ok := input.Value().([]byte)
		if !ok {
			return out, noPath, invalidArgs("the input of dh-ietf1024-sha256-aes128-cbc-pkcs7 must be a variant holding ay")
		}
		s.mu.Lock()
		delay := s.refillDelay
		s.mu.Unlock()
		var ours []byte
		var err error
		if ss, ours, err = newDHSession("", owner, pub, s.spare, delay); err != nil {
			return out, noPath, invalidArgs("invalid public key")
		}
		out = dbus.MakeVariant(ours)
	default:
		return out, noPath, dbusErr(errorNotSupported, "unsupported algorithm: "+algorithm)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ss.close()
		return dbus.MakeVariant(""), noPath, dbusErr(errorFailed, "the service is shutting down")
	}
	name := s.nextName("s")
	ss.path = dbus.ObjectPath(sessionBase + name)
	s.sessions[name] = ss
	s.mu.Unlock()
	return out, ss.path, nil
}

// collectionProps reads CreateCollection's properties: gnome-keyring takes
// the qualified or the bare name and refuses any other key.
func collectionProps(props map[string]dbus.Variant) (label string, e *dbus.Error) {
	for k, v := range props {
		switch k {
		case ifaceCollection + ".Label", "Label":
			l, ok := v.Value().(string)
			if !ok {
				return "", invalidArgs("Label must be a string")
			}
			label = l
		default:
			return "", invalidArgs("Invalid properties argument: " + k)
		}
	}
	return label, nil
}

func (s *Server) createCollection(props map[string]dbus.Variant, alias string) (dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	label, e := collectionProps(props)
	if e != nil {
		return noPath, noPath, e
	}
	if alias != "" {
		if !validID(alias) {
			return noPath, noPath, invalidArgs("invalid alias")
		}
		// What gnome-keyring does: an alias that exists is the answer.
		if c, ok := s.resolve(target{coll: alias, alias: true}); ok {
			return c.path(), noPath, nil
		}
	}
	// One creation at a time, so that two clients creating the same label
	// get two ids instead of a collision.
	s.createMu.Lock()
	defer s.createMu.Unlock()
	s.mu.Lock()
	base := EscapeID(label)
	id := base
	for i := 1; s.colls[id] != nil; i++ {
		id = base + "_" + strconv.Itoa(i)
	}
	s.mu.Unlock()
	ctx, cancel := s.callCtx()
	defer cancel()
	var st secret.Store = NewMemoryStore(id)
	if s.o.NewCollection != nil {
		var err error
		if st, err = s.o.NewCollection(ctx, id, label); err != nil {
			s.logf("provider: create collection %s: %v", id, err)
			return noPath, noPath, storeErr(collectionPath(id), err)
		}
	}
	if err := s.AddCollection(id, label, st); err != nil {
		_ = st.Close()
		return noPath, noPath, dbusErr(ErrorAlreadyExists, "collection exists: "+id)
	}
	if alias != "" {
		if err := s.SetAlias(alias, id); err == nil && s.o.AliasChanged != nil {
			s.o.AliasChanged(alias, id)
		}
	}
	return collectionPath(id), noPath, nil
}

func (s *Server) setAliasCall(name string, coll dbus.ObjectPath) *dbus.Error {
	if !validID(name) {
		return invalidArgs("invalid alias")
	}
	id := ""
	if coll != noPath {
		c, e := s.collectionAt(coll)
		if e != nil {
			return e
		}
		id = c.id
	}
	if err := s.SetAlias(name, id); err != nil {
		return storeErr(coll, err)
	}
	if s.o.AliasChanged != nil {
		s.o.AliasChanged(name, id)
	}
	return nil
}

func (s *Server) searchAll(query secret.Attributes) (unlocked, locked []dbus.ObjectPath, e *dbus.Error) {
	ctx, cancel := s.callCtx()
	defer cancel()
	unlocked, locked = []dbus.ObjectPath{}, []dbus.ObjectPath{}
	for _, c := range s.collectionList() {
		paths, isLocked, err := c.search(ctx, query)
		if err != nil {
			s.logf("provider: search %s: %v", c.id, err)
			continue
		}
		if isLocked {
			locked = append(locked, paths...)
		} else {
			unlocked = append(unlocked, paths...)
		}
	}
	return unlocked, locked, nil
}

// lockTargets maps Lock/Unlock's objects to their collections, keeping the
// paths asked for (an item path is unlocked with its collection).
func (s *Server) lockTargets(objects []dbus.ObjectPath) map[*collection][]dbus.ObjectPath {
	out := map[*collection][]dbus.ObjectPath{}
	for _, p := range objects {
		t := parsePath(p)
		if t.kind != targetCollection && t.kind != targetItem {
			continue
		}
		c, ok := s.resolve(t)
		if !ok {
			continue
		}
		if t.kind == targetItem {
			if _, ok := c.item(t.item); !ok {
				if _, ok := c.snapshotOf(t.item); !ok {
					continue
				}
			}
		}
		out[c] = append(out[c], p)
	}
	return out
}

func (s *Server) lock(objects []dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	ctx, cancel := s.callCtx()
	defer cancel()
	locked := []dbus.ObjectPath{}
	for c, paths := range s.lockTargets(objects) {
		if err := s.lockCollection(ctx, c); err != nil {
			s.logf("provider: lock %s: %v", c.id, err)
			continue
		}
		locked = append(locked, paths...)
	}
	return locked, noPath, nil
}

func (s *Server) lockCollection(ctx context.Context, c *collection) error {
	if c.isLocked(ctx) {
		return nil
	}
	c.takeSnapshot(ctx)
	if err := c.store.Lock(ctx); err != nil {
		return err
	}
	s.collectionChanged(c)
	return nil
}

func (s *Server) unlock(owner string, objects []dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	ctx, cancel := s.callCtx()
	defer cancel()
	unlocked := []dbus.ObjectPath{}
	var pending []*collection
	var pendingPaths []dbus.ObjectPath
	for c, paths := range s.lockTargets(objects) {
		if !c.isLocked(ctx) {
			unlocked = append(unlocked, paths...)
			continue
		}
		pending = append(pending, c)
		pendingPaths = append(pendingPaths, paths...)
	}
	if len(pending) == 0 {
		return unlocked, noPath, nil
	}
	p := s.newPrompt(owner, "u", dbus.MakeVariant([]dbus.ObjectPath{}), func(ctx context.Context) (dbus.Variant, error) {
		for _, c := range pending {
			if err := s.unlockCollection(ctx, c); err != nil {
				return dbus.Variant{}, err
			}
		}
		return dbus.MakeVariant(pendingPaths), nil
	})
	return unlocked, p, nil
}

func (s *Server) unlockCollection(ctx context.Context, c *collection) error {
	if !c.isLocked(ctx) {
		return nil
	}
	var err error
	if s.o.Unlock != nil {
		err = s.o.Unlock(ctx, c.id, c.store)
	} else {
		err = c.store.Unlock(ctx)
	}
	if err != nil {
		if !errors.Is(err, secret.ErrDismissed) && !errors.Is(err, context.Canceled) {
			s.logf("provider: unlock %s: %v", c.id, err)
		}
		return err
	}
	c.mu.Lock()
	c.snapshot = nil
	c.mu.Unlock()
	s.collectionChanged(c)
	return nil
}

// itemSecret is one entry of GetSecrets' answer.
type itemSecret struct {
	path   dbus.ObjectPath
	secret wireSecret
}

// getSecrets is GetSecrets: the secrets of the items asked for, each once,
// in the order asked; unknown and locked items are left out, as
// gnome-keyring does. The caller wipes every Value once it is sent.
func (s *Server) getSecrets(owner string, items []dbus.ObjectPath, sessionPath dbus.ObjectPath) ([]itemSecret, *dbus.Error) {
	ss, e := s.session(sessionPath, owner)
	if e != nil {
		return nil, e
	}
	ctx, cancel := s.callCtx()
	defer cancel()
	out := make([]itemSecret, 0, len(items))
	seen := make(map[dbus.ObjectPath]struct{}, len(items))
	// One read of the random source for every IV of the batch, not one
	// system call per secret.
	ivs := make([]byte, dhsession.IVSize*len(items))
	if _, err := rand.Read(ivs); err != nil {
		return nil, dbusErr(errorFailed, "no random numbers")
	}
	random := bytes.NewReader(ivs)
	for _, p := range items {
		if _, dup := seen[p]; dup {
			continue
		}
		seen[p] = struct{}{}
		_, _, it, e := s.resolveItem(p)
		if e != nil {
			continue // unknown items are left out
		}
		ws, err := encodeItemSecret(ctx, ss, random, it)
		if err != nil {
			continue // so are locked ones
		}
		out = append(out, itemSecret{p, ws})
	}
	return out, nil
}

// encodeItemSecret reads the item's secret, encodes it for the session and
// wipes the plaintext.
func encodeItemSecret(ctx context.Context, ss *session, random io.Reader, it secret.Item) (wireSecret, error) {
	v, err := it.Secret(ctx)
	if err != nil {
		return wireSecret{}, err
	}
	defer v.Wipe()
	return ss.encode(random, v.Bytes(), v.ContentType())
}
