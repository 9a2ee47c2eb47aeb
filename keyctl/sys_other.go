//go:build !linux

package keyctl

import (
	"fmt"
	"runtime"

	"github.com/moneypenny-go/keyring/secret"
)

// Kernel keyrings are a Linux feature. On every other system each primitive
// fails with ErrUnavailable, so Open, Probe and the KeyCache report the
// backend as unavailable and the OS-independent code above them still
// compiles and behaves consistently.

func errNotLinux(op string) error {
	return fmt.Errorf("%s: kernel keyrings exist only on Linux, not %s: %w", op, runtime.GOOS, secret.ErrUnavailable)
}

func keyringID(int, bool) (int, error)                { return 0, errNotLinux("resolve keyring") }
func describeKey(int) (keyDesc, error)                { return keyDesc{}, errNotLinux("describe key") }
func readKey(int) ([]byte, error)                     { return nil, errNotLinux("read key") }
func listKeyring(int) ([]int, error)                  { return nil, errNotLinux("list keyring") }
func addKey(string, string, []byte, int) (int, error) { return 0, errNotLinux("add key") }
func updateKey(int, int, []byte) error                { return errNotLinux("update key") }
func setPerm(int, uint32) error                       { return errNotLinux("set permissions") }
func setTimeout(int, int) error                       { return errNotLinux("set timeout") }
func linkKey(int, int) error                          { return errNotLinux("link key") }
func unlinkKey(int, int) error                        { return errNotLinux("unlink key") }
func invalidateKey(int) error                         { return errNotLinux("invalidate key") }
func clearKeyring(int) error                          { return errNotLinux("clear keyring") }
func searchKeyring(int, string, string) (int, error)  { return 0, errNotLinux("search key") }
