package provider

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// The Secrets portal backend, as xdg-desktop-portal calls it.
const portalPath dbus.ObjectPath = "/org/freedesktop/portal/desktop"

// portalRequests is where xdg-desktop-portal puts the handles of requests.
const portalRequests = portalPath + "/request"

// PortalBusName is the name `moneypenny serve` serves the portal backend
// under, on a connection of its own (dist/moneypenny.portal names it).
const PortalBusName = "org.freedesktop.impl.portal.desktop.moneypenny"

const (
	ifacePortal  = "org.freedesktop.impl.portal.Secret"
	ifaceRequest = "org.freedesktop.impl.portal.Request"

	// PortalSecretLen is the size of an application's master secret:
	// 64 random bytes, as gnome-keyring and oo7-portal make them
	// (libsecret refuses fewer).
	PortalSecretLen = 64
	// portalSchema is the xdg:schema gnome-keyring gives these items.
	portalSchema = "org.freedesktop.portal.Secret"
)

// portalUnlockTimeout bounds the unlock a portal request may need.
const portalUnlockTimeout = 5 * time.Minute

// Portal responses.
const (
	portalOK        uint32 = 0
	portalCancelled uint32 = 1
	portalFailed    uint32 = 2
)

// ExportPortal also serves org.freedesktop.impl.portal.Secret at
// /org/freedesktop/portal/desktop: RetrieveSecret hands each sandboxed app
// (by the app id xdg-desktop-portal passes, "" for host apps) its own
// master secret, which libsecret inside the sandbox uses as the password of
// its keyring file. As gnome-keyring does, the secret is an item of the
// collection alias() names ("default"), found by the attribute app_id
// alone and created on first use from 64 random bytes, with the label
// "Application key for <app id>" and xdg:schema
// org.freedesktop.portal.Secret. A locked collection is unlocked as a
// client's Unlock prompt would (Options.Unlock). While a call runs, its
// request object (org.freedesktop.impl.portal.Request, at the handle the
// portal passes) takes the portal's Close, which withdraws the unlock and
// answers the call with response 1, cancelled; a dismissed unlock answers
// the same.
//
// The backend is served on conn, which must pass unix fds (the portal sends
// a pipe) and own the bus name the .portal file gives xdg-desktop-portal:
// nil means the server's own connection, from New, under BusName (as
// gnome-keyring.portal names it). The connection Connect makes passes no
// fds: a server from Connect serves the portal on a connection of its own,
// as `moneypenny serve` does under PortalBusName (dist/moneypenny.portal).
func (s *Server) ExportPortal(conn *dbus.Conn, alias func() string) error {
	if conn == nil {
		if s.fast != nil {
			return fmt.Errorf("provider: the connection Connect made cannot pass the portal's file descriptor: give ExportPortal a connection from dbus.Connect: %w", secret.ErrNotSupported)
		}
		conn = s.conn
	}
	methods := map[string]any{
		"RetrieveSecret": func(msg dbus.Message, handle dbus.ObjectPath, appID string, fd dbus.UnixFD, options map[string]dbus.Variant) (uint32, map[string]dbus.Variant, *dbus.Error) {
			f := os.NewFile(uintptr(fd), "portal-secret")
			if f == nil {
				return portalFailed, map[string]dbus.Variant{}, invalidArgs("no file descriptor")
			}
			defer f.Close()
			ctx, done, e := s.portalRequest(handle, sender(msg))
			if e != nil {
				return portalFailed, map[string]dbus.Variant{}, e
			}
			defer done()
			if err := s.retrieveSecret(ctx, alias(), appID, f); err != nil {
				if ctx.Err() != nil || errors.Is(err, secret.ErrDismissed) {
					return portalCancelled, map[string]dbus.Variant{}, nil
				}
				s.logf("provider: portal secret for %q: %v", appID, err)
				return portalFailed, map[string]dbus.Variant{}, nil
			}
			return portalOK, map[string]dbus.Variant{}, nil
		},
	}
	if err := s.exportTable(conn, false, methods, portalPath, ifacePortal); err != nil {
		return err
	}
	props := map[string]any{
		"Get": func(iface, name string) (dbus.Variant, *dbus.Error) {
			if iface == ifacePortal && name == "version" {
				return dbus.MakeVariant(uint32(1)), nil
			}
			return dbus.MakeVariant(""), dbusErr(errorUnknownProp, "no property "+name)
		},
		"GetAll": func(iface string) (map[string]dbus.Variant, *dbus.Error) {
			if iface == ifacePortal {
				return map[string]dbus.Variant{"version": dbus.MakeVariant(uint32(1))}, nil
			}
			return map[string]dbus.Variant{}, nil
		},
		"Set": func(iface, name string, v dbus.Variant) *dbus.Error {
			return dbusErr(errorPropReadOnly, "read-only")
		},
	}
	if err := s.exportTable(conn, false, props, portalPath, ifaceProps); err != nil {
		return err
	}
	if err := s.exportTable(conn, true, s.requestMethods(), portalRequests, ifaceRequest); err != nil {
		return err
	}
	s.mu.Lock()
	s.portal = conn
	s.mu.Unlock()
	return nil
}

// portalRequest makes the org.freedesktop.impl.portal.Request object
// xdg-desktop-portal names in handle, whose Close (from the portal only)
// ends ctx: the frontend closes it when the app goes away or gives up, and
// an unlock dialog the request waits for is then withdrawn. done removes it
// and releases ctx. The objects are answered by one subtree export
// (requestMethods), not exported one by one: godbus's exports are not safe
// against each other, and the daemon's prompter exports on this
// connection too.
func (s *Server) portalRequest(handle dbus.ObjectPath, caller string) (ctx context.Context, done func(), e *dbus.Error) {
	if !handle.IsValid() || !strings.HasPrefix(string(handle), string(portalRequests)+"/") {
		return nil, nil, invalidArgs("invalid request handle: " + string(handle))
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.mu.Lock()
	if _, dup := s.requests[handle]; dup {
		s.mu.Unlock()
		cancel()
		return nil, nil, invalidArgs("request handle in use: " + string(handle))
	}
	s.requests[handle] = portalReq{caller: caller, cancel: cancel}
	s.mu.Unlock()
	return ctx, func() {
		s.mu.Lock()
		delete(s.requests, handle)
		s.mu.Unlock()
		cancel()
	}, nil
}

// portalReq is a RetrieveSecret in progress.
type portalReq struct {
	caller string
	cancel context.CancelFunc
}

// requestMethods answers Close on every request object.
func (s *Server) requestMethods() map[string]any {
	return map[string]any{
		"Close": func(msg dbus.Message) *dbus.Error {
			p := msgPath(msg)
			s.mu.Lock()
			r, ok := s.requests[p]
			s.mu.Unlock()
			switch {
			case !ok:
				return dbusErr(errorUnknownObject, "no request "+string(p))
			case sender(msg) != r.caller:
				return dbusErr(errorAccessDenied, "only the portal that made the request closes it")
			}
			r.cancel()
			return nil
		},
	}
}

// retrieveSecret writes the app's secret to w, creating it if need be; ctx
// ends when the request is closed.
func (s *Server) retrieveSecret(rctx context.Context, alias, appID string, w *os.File) error {
	c, ok := s.resolve(target{coll: alias, alias: true})
	if !ok {
		return fmt.Errorf("no collection %q: %w", alias, secret.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(rctx, s.o.CallTimeout)
	defer cancel()
	if c.isLocked(ctx) {
		// A person may have to answer a dialog: give them minutes, not
		// the store operations' bound.
		uctx, ucancel := context.WithTimeout(rctx, portalUnlockTimeout)
		err := s.unlockCollection(uctx, c)
		ucancel()
		if err != nil {
			return err
		}
	}
	key, err := s.appSecret(ctx, c, appID)
	if err != nil {
		return err
	}
	defer secret.Wipe(key)
	if _, err := w.Write(key); err != nil {
		return fmt.Errorf("write the secret to the portal's pipe: %w", err)
	}
	return nil
}

func (s *Server) appSecret(ctx context.Context, c *collection, appID string) ([]byte, error) {
	items, err := c.store.SearchItems(ctx, secret.Attributes{"app_id": appID})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		v, err := it.Secret(ctx)
		if err != nil {
			continue
		}
		if v.Len() > 0 {
			b := append([]byte(nil), v.Bytes()...)
			v.Wipe()
			return b, nil
		}
		v.Wipe()
	}
	key := make([]byte, PortalSecretLen)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	attrs := secret.Attributes{"app_id": appID, "xdg:schema": portalSchema}
	v := secret.NewWithContentType(append([]byte(nil), key...), secret.ContentTypeBinary)
	defer v.Wipe()
	it, err := c.store.CreateItem(ctx, "Application key for "+appID, attrs, v, false)
	if err != nil {
		secret.Wipe(key)
		return nil, err
	}
	c.number(it)
	s.changed(c, secret.ItemCreated, it.ID())
	return key, nil
}
