package nameowner

import (
	"context"
	"errors"
	"fmt"

	"github.com/godbus/dbus/v5"
)

const (
	busDriver     = "org.freedesktop.DBus"
	busDriverPath = dbus.ObjectPath("/org/freedesktop/DBus")
	ownerChanged  = busDriver + ".NameOwnerChanged"
	noOwnerError  = "org.freedesktop.DBus.Error.NameHasNoOwner"
)

// Rule is the match rule for the bus's NameOwnerChanged signals about name.
func Rule(name string) []dbus.MatchOption {
	return []dbus.MatchOption{
		dbus.WithMatchSender(busDriver),
		dbus.WithMatchObjectPath(busDriverPath),
		dbus.WithMatchInterface(busDriver),
		dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, name),
	}
}

// Lookup returns the unique name that owns name now, or "" when nobody does.
func Lookup(ctx context.Context, conn *dbus.Conn, name string) (string, error) {
	var owner string
	err := conn.BusObject().CallWithContext(ctx, busDriver+".GetNameOwner", 0, name).Store(&owner)
	if err == nil {
		return owner, nil
	}
	var de dbus.Error
	if errors.As(err, &de) && de.Name == noOwnerError {
		return "", nil
	}
	var dep *dbus.Error
	if errors.As(err, &dep) && dep.Name == noOwnerError {
		return "", nil
	}
	return "", fmt.Errorf("ask the bus who owns %s: %w", name, err)
}

// Tracker follows the owner of one well-known name. It is not safe for
// concurrent use: the goroutine that reads the signal channel owns it.
type Tracker struct {
	name  string
	owner string
}

// New looks up the current owner of name. Call it after Rule(name) is
// subscribed and the signal channel registered (see the package doc).
func New(ctx context.Context, conn *dbus.Conn, name string) (*Tracker, error) {
	owner, err := Lookup(ctx, conn, name)
	if err != nil {
		return nil, err
	}
	return &Tracker{name: name, owner: owner}, nil
}

// Owner is the unique name that owns the name, "" when nobody does.
func (t *Tracker) Owner() string { return t.owner }

// Sent reports whether sig was sent by the name's current owner. Nothing is
// sent by an unowned name.
func (t *Tracker) Sent(sig *dbus.Signal) bool {
	return t.owner != "" && sig.Sender == t.owner
}

// Change is one transfer of the name: Old lost it, New got it ("" for
// nobody).
type Change struct{ Old, New string }

// Observe applies sig if it is the bus's NameOwnerChanged about the name and
// continues from the owner known so far; ok reports whether it did. A change
// whose old owner is not the one known is from before New's lookup, or
// forged, and is ignored.
func (t *Tracker) Observe(sig *dbus.Signal) (c Change, ok bool) {
	if sig.Sender != busDriver || sig.Path != busDriverPath || sig.Name != ownerChanged || len(sig.Body) != 3 {
		return Change{}, false
	}
	name, ok1 := sig.Body[0].(string)
	old, ok2 := sig.Body[1].(string)
	owner, ok3 := sig.Body[2].(string)
	if !ok1 || !ok2 || !ok3 || name != t.name || old != t.owner || old == owner {
		return Change{}, false
	}
	t.owner = owner
	return Change{Old: old, New: owner}, true
}
