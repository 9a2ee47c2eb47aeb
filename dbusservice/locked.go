package dbusservice

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// Providers do not all refuse what a locked object cannot do. gnome-keyring
// answers IsLocked, which unlockAndRetry handles; KeePassXC answers a search
// of a locked database with no results, and kwalletd 5 returns an empty
// secret from a locked item and reports success for SetSecret and Delete
// without doing them. The client therefore asks the Locked property itself
// wherever a provider's answer could be a lie: before every write and
// delete, and after a search that found nothing or a read that gave an
// empty secret (so the common, successful read costs nothing extra).

// ensureUnlocked makes sure the collection or item at path (iface says
// which) is unlocked: it unlocks it when auto-unlock is on (prompting if
// the service must) and otherwise fails with secret.ErrLocked.
func (s *Service) ensureUnlocked(ctx context.Context, path dbus.ObjectPath, iface, what string) error {
	locked, err := s.boolProperty(ctx, path, iface, "Locked")
	if err != nil || !locked {
		return err
	}
	if !s.o.autoUnlock {
		return fmt.Errorf("dbusservice: %s %s is locked: %w", what, path, secret.ErrLocked)
	}
	return s.unlockOne(ctx, path, iface, what)
}

// hidesItems reports, for a search of collection c that found nothing,
// whether the collection is locked in a way that hides its items (it is
// locked and lists no items at all, as a locked KeePassXC database does). A
// locked collection that still lists items, as gnome-keyring's do, searched
// them: its empty answer stands.
func (c *Collection) hidesItems(ctx context.Context) (bool, error) {
	locked, err := c.svc.boolProperty(ctx, c.path, ifaceCollection, "Locked")
	if err != nil || !locked {
		return false, err
	}
	paths, err := c.svc.pathsProperty(ctx, c.path, ifaceCollection, "Items")
	if err != nil {
		return false, err
	}
	return len(paths) == 0, nil
}

// lockIdempotent locks one collection or item; a refusal from the service
// is no error when the object is locked anyway.
func (s *Service) lockIdempotent(ctx context.Context, path dbus.ObjectPath, iface string) error {
	err := s.Lock(ctx, path)
	if err == nil {
		return nil
	}
	if locked, lerr := s.boolProperty(ctx, path, iface, "Locked"); lerr == nil && locked {
		return nil
	}
	return err
}
