package provider

import (
	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

func (s *Server) collectionMethods() map[string]any {
	return map[string]any{
		"Delete": func(msg dbus.Message) (dbus.ObjectPath, *dbus.Error) {
			c, e := s.collectionAt(msgPath(msg))
			if e != nil {
				return noPath, e
			}
			return noPath, s.deleteCollection(c)
		},
		"SearchItems": func(msg dbus.Message, attrs map[string]string) ([]dbus.ObjectPath, *dbus.Error) {
			c, e := s.collectionAt(msgPath(msg))
			if e != nil {
				return nil, e
			}
			ctx, cancel := s.callCtx()
			defer cancel()
			paths, _, err := c.search(ctx, secret.Attributes(attrs))
			if err != nil {
				return nil, storeErr(c.path(), err)
			}
			if paths == nil {
				paths = []dbus.ObjectPath{}
			}
			return paths, nil
		},
		"CreateItem": func(msg dbus.Message, props map[string]dbus.Variant, ws wireSecret, replace bool) (dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
			c, e := s.collectionAt(msgPath(msg))
			if e != nil {
				return noPath, noPath, e
			}
			return s.createItem(sender(msg), c, props, ws, replace)
		},
	}
}

func (s *Server) deleteCollection(c *collection) *dbus.Error {
	s.mu.Lock()
	if s.colls[c.id] != c {
		s.mu.Unlock()
		return noSuchObject(c.path())
	}
	delete(s.colls, c.id)
	for i, id := range s.order {
		if id == c.id {
			s.order = append(s.order[:i:i], s.order[i+1:]...)
			break
		}
	}
	var aliases []string
	for a, id := range s.aliases {
		if id == c.id {
			aliases = append(aliases, a)
			delete(s.aliases, a)
		}
	}
	s.mu.Unlock()
	if c.stop != nil {
		c.stop()
	}
	_ = c.store.Close()
	if s.o.CollectionDeleted != nil {
		ctx, cancel := s.callCtx()
		defer cancel()
		if err := s.o.CollectionDeleted(ctx, c.id); err != nil {
			s.logf("provider: delete collection %s: %v", c.id, err)
		}
	}
	if s.o.AliasChanged != nil {
		for _, a := range aliases {
			s.o.AliasChanged(a, "")
		}
	}
	s.emit(servicePath, ifaceService+".CollectionDeleted", c.path())
	s.collectionsChanged()
	return nil
}

// itemProps reads CreateItem's properties (qualified or bare names, as
// gnome-keyring accepts). Type is accepted and, as gnome-keyring's schema,
// ignored unless xdg:schema is missing: libsecret always sends the schema in
// the attributes anyway.
func itemProps(props map[string]dbus.Variant) (label string, attrs secret.Attributes, e *dbus.Error) {
	attrs = secret.Attributes{}
	for k, v := range props {
		switch k {
		case ifaceItem + ".Label", "Label":
			l, ok := v.Value().(string)
			if !ok {
				return "", nil, invalidArgs("Label must be a string")
			}
			label = l
		case ifaceItem + ".Attributes", "Attributes":
			a, ok := v.Value().(map[string]string)
			if !ok {
				return "", nil, invalidArgs("Attributes must be a{ss}")
			}
			for name, val := range a {
				attrs[name] = val
			}
		case ifaceItem + ".Type", "Type":
			if _, ok := v.Value().(string); !ok {
				return "", nil, invalidArgs("Type must be a string")
			}
		default:
			return "", nil, invalidArgs("Invalid properties argument: " + k)
		}
	}
	if err := attrs.Validate(); err != nil {
		return "", nil, invalidArgs("invalid attributes")
	}
	return label, attrs, nil
}

// decodeSecret opens a Secret struct through the session it names, which
// must be the caller's.
func (s *Server) decodeSecret(owner string, ws wireSecret) (*secret.Value, *dbus.Error) {
	defer secret.Wipe(ws.Value)
	ss, e := s.session(ws.Session, owner)
	if e != nil {
		return nil, e
	}
	plain, err := ss.decode(ws)
	if err != nil {
		return nil, invalidArgs("the secret does not decrypt with its session")
	}
	return secret.NewWithContentType(plain, ws.ContentType), nil
}

func (s *Server) createItem(owner string, c *collection, props map[string]dbus.Variant, ws wireSecret, replace bool) (dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	label, attrs, e := itemProps(props)
	if e != nil {
		return noPath, noPath, e
	}
	v, e := s.decodeSecret(owner, ws)
	if e != nil {
		return noPath, noPath, e
	}
	defer v.Wipe()
	ctx, cancel := s.callCtx()
	defer cancel()
	if c.isLocked(ctx) {
		return noPath, noPath, isLocked(c.path())
	}
	var existed bool
	if replace && !c.watched {
		if same, err := c.store.SearchItems(ctx, attrs); err == nil {
			for _, it := range same {
				if a, err := it.Attributes(ctx); err == nil && a.Equal(attrs) {
					existed = true
					break
				}
			}
		}
	}
	it, err := c.store.CreateItem(ctx, label, attrs, v, replace)
	if err != nil {
		s.logf("provider: create item in %s: %v", c.id, err)
		return noPath, noPath, storeErr(c.path(), err)
	}
	n := c.number(it)
	kind := secret.ItemCreated
	if existed {
		kind = secret.ItemChanged
	}
	s.changed(c, kind, it.ID())
	return itemPath(c.id, n), noPath, nil
}

func (s *Server) itemMethods() map[string]any {
	return map[string]any{
		"Delete": func(msg dbus.Message) (dbus.ObjectPath, *dbus.Error) {
			c, _, it, e := s.resolveItem(msgPath(msg))
			if e != nil {
				return noPath, e
			}
			ctx, cancel := s.callCtx()
			defer cancel()
			if err := it.Delete(ctx); err != nil {
				return noPath, storeErr(msgPath(msg), err)
			}
			s.changed(c, secret.ItemDeleted, it.ID())
			if !c.watched {
				c.forget(it.ID())
			}
			return noPath, nil
		},
		"GetSecret": func(msg dbus.Message, session dbus.ObjectPath) (wireSecret, *dbus.Error) {
			return s.getSecret(sender(msg), msgPath(msg), session)
		},
		"SetSecret": func(msg dbus.Message, ws wireSecret) *dbus.Error {
			c, _, it, e := s.resolveItem(msgPath(msg))
			if e != nil {
				return e
			}
			v, e := s.decodeSecret(sender(msg), ws)
			if e != nil {
				return e
			}
			defer v.Wipe()
			ctx, cancel := s.callCtx()
			defer cancel()
			if err := it.SetSecret(ctx, v); err != nil {
				return storeErr(msgPath(msg), err)
			}
			s.changed(c, secret.ItemChanged, it.ID())
			return nil
		},
	}
}

func (s *Server) sessionMethods() map[string]any {
	return map[string]any{
		"Close": func(msg dbus.Message) *dbus.Error {
			t := parsePath(msgPath(msg))
			s.mu.Lock()
			ss, ok := s.sessions[t.name]
			if t.kind != targetSession || !ok || ss.owner != sender(msg) {
				s.mu.Unlock()
				return noSuchObject(msgPath(msg))
			}
			delete(s.sessions, t.name)
			s.mu.Unlock()
			ss.close()
			return nil
		},
	}
}

// getSecret is an item's GetSecret: its secret encoded for the caller's
// session. The caller wipes the Value once it is sent.
func (s *Server) getSecret(owner string, p, session dbus.ObjectPath) (wireSecret, *dbus.Error) {
	_, _, it, e := s.resolveItem(p)
	if e != nil {
		return wireSecret{}, e
	}
	ss, e := s.session(session, owner)
	if e != nil {
		return wireSecret{}, e
	}
	ctx, cancel := s.callCtx()
	defer cancel()
	ws, err := encodeItemSecret(ctx, ss, nil, it)
	if err != nil {
		return wireSecret{}, storeErr(p, err)
	}
	return ws, nil
}
