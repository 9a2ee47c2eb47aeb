package dbusservice

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// getProperty reads one property through org.freedesktop.DBus.Properties.
// Nothing is cached: another client may change any of them at any time.
func (s *Service) getProperty(ctx context.Context, path dbus.ObjectPath, iface, name string) (dbus.Variant, error) {
	body, err := s.call(ctx, path, ifaceProperties+".Get", iface, name)
	if err != nil {
		return dbus.Variant{}, err
	}
	v, ok := arg[dbus.Variant](body, 0)
	if !ok || !exactly(body, 1) {
		return dbus.Variant{}, malformed("Get "+name, "v")
	}
	return v, nil
}

func (s *Service) setProperty(ctx context.Context, path dbus.ObjectPath, iface, name string, value any) error {
	_, err := s.call(ctx, path, ifaceProperties+".Set", iface, name, dbus.MakeVariant(value))
	return err
}

func (s *Service) stringProperty(ctx context.Context, path dbus.ObjectPath, iface, name string) (string, error) {
	v, err := s.getProperty(ctx, path, iface, name)
	if err != nil {
		return "", err
	}
	str, ok := variantOf[string](v)
	if !ok {
		return "", malformed(name+" property", "s")
	}
	return str, nil
}

func (s *Service) boolProperty(ctx context.Context, path dbus.ObjectPath, iface, name string) (bool, error) {
	v, err := s.getProperty(ctx, path, iface, name)
	if err != nil {
		return false, err
	}
	b, ok := variantOf[bool](v)
	if !ok {
		return false, malformed(name+" property", "b")
	}
	return b, nil
}

// timeProperty reads Created or Modified: Unix seconds as a uint64 (t).
func (s *Service) timeProperty(ctx context.Context, path dbus.ObjectPath, iface, name string) (time.Time, error) {
	v, err := s.getProperty(ctx, path, iface, name)
	if err != nil {
		return time.Time{}, err
	}
	secs, ok := variantOf[uint64](v)
	if !ok || secs > 1<<62 {
		return time.Time{}, malformed(name+" property", "t")
	}
	return time.Unix(int64(secs), 0), nil
}

func (s *Service) pathsProperty(ctx context.Context, path dbus.ObjectPath, iface, name string) ([]dbus.ObjectPath, error) {
	v, err := s.getProperty(ctx, path, iface, name)
	if err != nil {
		return nil, err
	}
	p, ok := variantOf[[]dbus.ObjectPath](v)
	if !ok {
		return nil, malformed(name+" property", "ao")
	}
	return p, nil
}

func (s *Service) attributesProperty(ctx context.Context, path dbus.ObjectPath) (secret.Attributes, error) {
	v, err := s.getProperty(ctx, path, ifaceItem, "Attributes")
	if err != nil {
		return nil, err
	}
	m, ok := variantOf[map[string]string](v)
	if !ok {
		return nil, malformed("Attributes property", "a{ss}")
	}
	return secret.Attributes(m), nil
}

// wrapf adds context to an error of this package, keeping the chain for
// errors.Is and a single "dbusservice:" prefix in the text.
func wrapf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &wrapped{context: fmt.Sprintf(format, args...), err: err}
}

type wrapped struct {
	context string
	err     error
}

func (w *wrapped) Error() string {
	return "dbusservice: " + w.context + ": " + strings.TrimPrefix(w.err.Error(), "dbusservice: ")
}

func (w *wrapped) Unwrap() error { return w.err }
