package dbusservice

import (
	"context"
	"fmt"

	"github.com/moneypenny-go/keyring/secret"
)

// The Secret Service leaves open which item CreateItem(replace=true)
// replaces, and providers differ: KeePassXC and kwalletd 5 replace the
// first item whose attributes contain the given ones, so storing
// {service} overwrote the {service, username} item, and KeePassXC 2.7.4
// opens a dialog (which hangs a headless client) to replace an item
// another process created. The client therefore replaces by itself:
// it looks for the item whose attributes are exactly the caller's and
// updates its secret and label in place, or creates a new item.

// providerAdded reports whether an attribute is one a provider adds to
// items by itself, which replace and SetAttributes do not count as a
// difference when the caller did not name it.
func providerAdded(name, value string) bool {
	switch name {
	case "Title", "UserName", "URL", "Notes", "Path", "Uuid":
		return true // KeePassXC's entry fields, on every item it serves
	case "xdg:schema":
		// gnome-keyring's default for items stored without a schema.
		return value == "org.freedesktop.Secret.Generic"
	}
	return false
}

// sameAttributes reports whether an item's attributes have are exactly
// want, apart from those the provider added.
func sameAttributes(have, want secret.Attributes) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	for k, v := range have {
		if _, ok := want[k]; !ok && !providerAdded(k, v) {
			return false
		}
	}
	return true
}

// replaceExisting updates, in place, the first item whose attributes are
// exactly attrs: its secret, then its label. It returns nil, nil when no
// such item exists. Items that vanish meanwhile are skipped.
func (c *Collection) replaceExisting(ctx context.Context, label string, attrs secret.Attributes, v *secret.Value) (*Item, error) {
	items, err := c.Search(ctx, attrs)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		have, err := it.Attributes(ctx)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !sameAttributes(have, attrs) {
			continue
		}
		if err := it.SetSecret(ctx, v); err != nil {
			return nil, wrapf(err, "replace %s", it.path)
		}
		if err := it.SetLabel(ctx, label); err != nil {
			return nil, wrapf(err, "replace %s: set label", it.path)
		}
		return it, nil
	}
	return nil, nil
}

// checkStored compares an item's attributes, read back after
// SetAttributes, with what was asked.
func checkStored(it *Item, have, want secret.Attributes) error {
	if sameAttributes(have, want) {
		return nil
	}
	var kept, missing []string
	for _, k := range have.Names() {
		if _, ok := want[k]; !ok && !providerAdded(k, have[k]) {
			kept = append(kept, k)
		}
	}
	for _, k := range want.Names() {
		if hv, ok := have[k]; !ok || hv != want[k] {
			missing = append(missing, k)
		}
	}
	return fmt.Errorf("dbusservice: SetAttributes %s: the service did not store the attributes asked for (kept %q, did not set %q): %w",
		it.path, kept, missing, secret.ErrNotSupported)
}
