package hostmigrate

import "github.com/moneypenny-go/keyring/secret"

// KeePassXC serves every entry with its own fields as attributes (Title,
// UserName, URL, Notes, Path, Uuid) beside those the application stored.
// They are not the application's: Uuid and Path name the entry inside that
// one database, and a re-stored item gets a new Uuid. Copied into the file
// they would make every item differ from its earlier copy, so a re-run of
// an interrupted migration would duplicate instead of recognise it.

// keepassxcFields are the attributes KeePassXC adds to every item it serves.
var keepassxcFields = [...]string{"Title", "UserName", "URL", "Notes", "Path", "Uuid"}

// ownAttributes returns the attributes the application stored on an item
// labelled label: an item carrying all of KeePassXC's fields loses Uuid and
// Path, and Title, UserName, URL and Notes where they hold nothing of the
// user's own (Title equal to the label, the others empty). Any other item's
// attributes are returned as they are.
func ownAttributes(attrs secret.Attributes, label string) secret.Attributes {
	for _, k := range keepassxcFields {
		if _, ok := attrs[k]; !ok {
			return attrs
		}
	}
	own := attrs.Clone()
	delete(own, "Uuid")
	delete(own, "Path")
	if own["Title"] == label {
		delete(own, "Title")
	}
	for _, k := range [...]string{"UserName", "URL", "Notes"} {
		if own[k] == "" {
			delete(own, k)
		}
	}
	return own
}
