package provider

import (
	"strconv"
	"strings"

	"github.com/godbus/dbus/v5"
)

// Names and paths of the Secret Service API.
const (
	// BusName is the Secret Service's well-known name on the session bus.
	BusName = "org.freedesktop.secrets"

	servicePath dbus.ObjectPath = "/org/freedesktop/secrets"

	collectionBase = "/org/freedesktop/secrets/collection/"
	aliasBase      = "/org/freedesktop/secrets/aliases/"
	sessionBase    = "/org/freedesktop/secrets/session/"
	promptBase     = "/org/freedesktop/secrets/prompt/"

	ifaceService    = "org.freedesktop.Secret.Service"
	ifaceCollection = "org.freedesktop.Secret.Collection"
	ifaceItem       = "org.freedesktop.Secret.Item"
	ifaceSession    = "org.freedesktop.Secret.Session"
	ifacePrompt     = "org.freedesktop.Secret.Prompt"
	ifaceProps      = "org.freedesktop.DBus.Properties"
	ifaceIntrospect = "org.freedesktop.DBus.Introspectable"

	noPath dbus.ObjectPath = "/"
)

// EscapeID turns a collection label into the last element of its object
// path the way gnome-keyring does: ASCII letters and digits pass, every other
// byte becomes _ and two lowercase hex digits ("My keys" is "My_20keys").
// The empty label gives "unnamed".
func EscapeID(label string) string {
	if label == "" {
		return "unnamed"
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(label); i++ {
		c := label[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('_')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// UnescapeID reverses EscapeID: the label a collection id was made from
// ("My_20keys" gives "My keys"). ok is false for an id EscapeID cannot
// have produced. A keyring file keeps no label, so this is how a daemon
// names the collection of a file after a restart.
func UnescapeID(id string) (label string, ok bool) {
	if id == "unnamed" {
		return "", true
	}
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c != '_' {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return "", false
			}
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(id) {
			return "", false
		}
		v, err := strconv.ParseUint(id[i+1:i+3], 16, 8)
		if err != nil || id[i+1:i+3] != strings.ToLower(id[i+1:i+3]) {
			return "", false
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), true
}

// validID reports whether id can be one element of an object path.
func validID(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func collectionPath(id string) dbus.ObjectPath { return dbus.ObjectPath(collectionBase + id) }

func itemPath(collection string, n uint64) dbus.ObjectPath {
	return dbus.ObjectPath(collectionBase + collection + "/" + strconv.FormatUint(n, 10))
}

// target is what an object path under /org/freedesktop/secrets names.
type target struct {
	kind  targetKind
	coll  string // collection id or alias name, as written in the path
	alias bool   // coll is an alias
	item  uint64
	name  string // session or prompt element
}

type targetKind int

const (
	targetNone targetKind = iota
	targetService
	targetCollection
	targetItem
	targetSession
	targetPrompt
)

// parsePath splits p; an unknown shape gives targetNone.
func parsePath(p dbus.ObjectPath) target {
	s := string(p)
	if p == servicePath {
		return target{kind: targetService}
	}
	var alias bool
	var rest string
	switch {
	case strings.HasPrefix(s, collectionBase):
		rest = s[len(collectionBase):]
	case strings.HasPrefix(s, aliasBase):
		rest, alias = s[len(aliasBase):], true
	case strings.HasPrefix(s, sessionBase):
		if n := s[len(sessionBase):]; validID(n) {
			return target{kind: targetSession, name: n}
		}
		return target{}
	case strings.HasPrefix(s, promptBase):
		if n := s[len(promptBase):]; validID(n) {
			return target{kind: targetPrompt, name: n}
		}
		return target{}
	default:
		return target{}
	}
	coll, item, hasItem := strings.Cut(rest, "/")
	if !validID(coll) {
		return target{}
	}
	if !hasItem {
		return target{kind: targetCollection, coll: coll, alias: alias}
	}
	n, err := strconv.ParseUint(item, 10, 64)
	if err != nil || n == 0 || strconv.FormatUint(n, 10) != item {
		return target{}
	}
	return target{kind: targetItem, coll: coll, alias: alias, item: n}
}
