//go:build !unix && !windows

package filekeyring

func syncDir(string) error { return nil }
