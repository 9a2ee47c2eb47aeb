package filekeyring

import (
	"errors"

	"golang.org/x/sys/windows"
)

// isReadOnlyFS reports a write-protected medium.
func isReadOnlyFS(err error) bool { return errors.Is(err, windows.ERROR_WRITE_PROTECT) }
