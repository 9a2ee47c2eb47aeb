package provider

import (
	"context"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// propsMethods is org.freedesktop.DBus.Properties for every object.
func (s *Server) propsMethods() map[string]any {
	return map[string]any{
		"Get": func(msg dbus.Message, iface, name string) (dbus.Variant, *dbus.Error) {
			all, e := s.properties(msgPath(msg), iface, name)
			if e != nil {
				return dbus.MakeVariant(""), e
			}
			v, ok := all[name]
			if !ok {
				return dbus.MakeVariant(""), dbusErr(errorUnknownProp, "no property "+name+" in "+iface)
			}
			return v, nil
		},
		"GetAll": func(msg dbus.Message, iface string) (map[string]dbus.Variant, *dbus.Error) {
			return s.properties(msgPath(msg), iface, "")
		},
		"Set": func(msg dbus.Message, iface, name string, v dbus.Variant) *dbus.Error {
			return s.setProperty(msgPath(msg), iface, name, v)
		},
	}
}

func unixTime(t interface{ Unix() int64 }) uint64 {
	if u := t.Unix(); u > 0 {
		return uint64(u)
	}
	return 0
}

// properties returns the interface's properties at p; with only set, just
// that one is computed (Items of a big collection costs a listing).
func (s *Server) properties(p dbus.ObjectPath, iface, only string) (map[string]dbus.Variant, *dbus.Error) {
	want := func(n string) bool { return only == "" || only == n }
	ctx, cancel := s.callCtx()
	defer cancel()
	t := parsePath(p)
	out := map[string]dbus.Variant{}
	switch {
	case t.kind == targetService && (iface == ifaceService || iface == ""):
		out["Collections"] = dbus.MakeVariant(s.collectionPaths())
	case t.kind == targetCollection && (iface == ifaceCollection || iface == ""):
		c, e := s.collectionAt(p)
		if e != nil {
			return nil, e
		}
		if want("Items") {
			items, err := c.allItems(ctx)
			if err != nil {
				return nil, storeErr(p, err)
			}
			if items == nil {
				items = []dbus.ObjectPath{}
			}
			out["Items"] = dbus.MakeVariant(items)
		}
		c.mu.Lock()
		out["Label"] = dbus.MakeVariant(c.label)
		c.mu.Unlock()
		if want("Created") || want("Modified") {
			created, modified := c.times(ctx)
			out["Created"] = dbus.MakeVariant(unixTime(created))
			out["Modified"] = dbus.MakeVariant(unixTime(modified))
		}
		out["Locked"] = dbus.MakeVariant(c.isLocked(ctx))
	case t.kind == targetItem && (iface == ifaceItem || iface == ""):
		c, n, it, e := s.resolveItem(p)
		if e != nil {
			return nil, e
		}
		locked := c.isLocked(ctx)
		out["Locked"] = dbus.MakeVariant(locked)
		if locked {
			// What is known of a locked item: its snapshot.
			sn, ok := c.snapshotOf(n)
			if !ok {
				if only != "" && only != "Locked" {
					return nil, isLocked(p)
				}
				return out, nil
			}
			out["Label"] = dbus.MakeVariant(sn.label)
			out["Attributes"] = dbus.MakeVariant(map[string]string(sn.attrs))
			out["Type"] = dbus.MakeVariant(sn.attrs["xdg:schema"])
			out["Created"] = dbus.MakeVariant(unixTime(sn.created))
			out["Modified"] = dbus.MakeVariant(unixTime(sn.modified))
			return out, nil
		}
		if e := itemProperties(ctx, p, it, out, want); e != nil {
			return nil, e
		}
	case iface == ifaceService || iface == ifaceCollection || iface == ifaceItem:
		return nil, noSuchObject(p)
	default:
		return map[string]dbus.Variant{}, nil
	}
	if only != "" {
		if v, ok := out[only]; ok {
			return map[string]dbus.Variant{only: v}, nil
		}
	}
	return out, nil
}

func itemProperties(ctx context.Context, p dbus.ObjectPath, it secret.Item, out map[string]dbus.Variant, want func(string) bool) *dbus.Error {
	if want("Label") {
		l, err := it.Label(ctx)
		if err != nil {
			return storeErr(p, err)
		}
		out["Label"] = dbus.MakeVariant(l)
	}
	if want("Attributes") || want("Type") {
		a, err := it.Attributes(ctx)
		if err != nil {
			return storeErr(p, err)
		}
		if a == nil {
			a = secret.Attributes{}
		}
		out["Attributes"] = dbus.MakeVariant(map[string]string(a))
		out["Type"] = dbus.MakeVariant(a["xdg:schema"])
	}
	if want("Created") {
		c, err := it.Created(ctx)
		if err != nil {
			return storeErr(p, err)
		}
		out["Created"] = dbus.MakeVariant(unixTime(c))
	}
	if want("Modified") {
		m, err := it.Modified(ctx)
		if err != nil {
			return storeErr(p, err)
		}
		out["Modified"] = dbus.MakeVariant(unixTime(m))
	}
	return nil
}

func (s *Server) setProperty(p dbus.ObjectPath, iface, name string, v dbus.Variant) *dbus.Error {
	ctx, cancel := s.callCtx()
	defer cancel()
	t := parsePath(p)
	switch {
	case t.kind == targetCollection && iface == ifaceCollection && name == "Label":
		c, e := s.collectionAt(p)
		if e != nil {
			return e
		}
		l, ok := v.Value().(string)
		if !ok {
			return invalidArgs("Label must be a string")
		}
		c.relabel(l)
		s.collectionChanged(c)
		return nil
	case t.kind == targetItem && iface == ifaceItem && (name == "Label" || name == "Attributes"):
		c, _, it, e := s.resolveItem(p)
		if e != nil {
			return e
		}
		var err error
		if name == "Label" {
			l, ok := v.Value().(string)
			if !ok {
				return invalidArgs("Label must be a string")
			}
			err = it.SetLabel(ctx, l)
		} else {
			a, ok := v.Value().(map[string]string)
			if !ok {
				return invalidArgs("Attributes must be a{ss}")
			}
			if verr := secret.Attributes(a).Validate(); verr != nil {
				return invalidArgs("invalid attributes")
			}
			err = it.SetAttributes(ctx, secret.Attributes(a))
		}
		if err != nil {
			return storeErr(p, err)
		}
		s.changed(c, secret.ItemChanged, it.ID())
		return nil
	case t.kind == targetNone:
		return noSuchObject(p)
	}
	return dbusErr(errorPropReadOnly, "property "+name+" of "+iface+" cannot be set")
}
