package hostmigrate

import "github.com/moneypenny-go/keyring/secret"

// Options tune a migration. The zero value migrates from every host
// collection, deletes the host items after the write, and leaves items whose
// attributes already exist in the file with another secret where they are.
type Options struct {
	// Collection limits the search to one host collection, by alias
	// ("default", "login", "session") or object path. Empty searches all.
	Collection string
	// Keep leaves the host items in place after copying them.
	Keep bool
	// Replace lets a host item overwrite a file item with exactly the same
	// attributes and a different secret. Without it such items are skipped.
	Replace bool
	// DryRun reports what a migration would do and changes nothing: no
	// unlock, no write, no deletion.
	DryRun bool
	// Progress, when set, is called as items are decided, with the number
	// of items done and the total found.
	Progress func(done, total int)
}

// Entry names one item in a Report. It carries no secret.
type Entry struct {
	Label      string
	Attributes secret.Attributes
	// HostPath is the item's D-Bus object path on the host, or for
	// ImportFile the path of the source file.
	HostPath string
	// Reason explains a skip or failure, or qualifies a move (for example
	// that it replaced a file item). Empty for plain moves.
	Reason string
}

// Report says what happened to every item found. An item is in exactly one
// of Moved, AlreadyPresent, Skipped and Failed; an item of Moved or
// AlreadyPresent whose host copy could not be deleted is also listed in
// HostDeleteFailed (it is then in both places). In a dry run Moved and
// AlreadyPresent describe what would happen.
type Report struct {
	// Moved: copied into the file (and, without Keep, deleted on the host).
	Moved []Entry
	// AlreadyPresent: the file already held the same attributes and secret.
	AlreadyPresent []Entry
	// Skipped: left alone on purpose; Reason says why.
	Skipped []Entry
	// Failed: could not be read or written; Reason says why. The host copy
	// is untouched.
	Failed []Entry
	// HostDeleteFailed: in the file, but the host copy could not be deleted.
	HostDeleteFailed []Entry
}
