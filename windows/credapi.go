package windows

import "time"

// credential is one generic credential, in Go terms.
type credential struct {
	Target      string
	Comment     string
	UserName    string
	Blob        []byte
	LastWritten time.Time
}

// credAPI is the slice of advapi32 the keyring needs. Keeping it an interface
// lets the keyring logic (naming, splitting, matching) build and run its unit
// tests on every system; on Windows it is advapi32 itself.
//
// Every method deals in CRED_TYPE_GENERIC credentials only.
type credAPI interface {
	// read returns the credential at target (case-insensitive), or an error
	// wrapping secret.ErrNotFound.
	read(target string) (*credential, error)
	// write creates or overwrites the credential at c.Target.
	write(c *credential) error
	// remove deletes the credential at target, or fails with
	// secret.ErrNotFound.
	remove(target string) error
	// enumerate returns the credentials whose target starts with prefix
	// (CredEnumerateW with filter prefix+"*"). No match is an empty slice.
	enumerate(prefix string) ([]*credential, error)
}
