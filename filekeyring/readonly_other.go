//go:build !unix && !windows

package filekeyring

func isReadOnlyFS(error) bool { return false }
