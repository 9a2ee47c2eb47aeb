package portal_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moneypenny-go/keyring/portal"
)

// A sandboxed app decides, the way libsecret does, whether to keep its
// secrets in its own file keyring keyed by the portal secret.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	sb := portal.DetectSandbox()
	if !sb.Sandboxed() {
		fmt.Println("use the host Secret Service:", sb.Reason)
		return
	}
	if v, err := portal.Version(ctx); errors.Is(err, portal.ErrNoPortal) || (err == nil && v != 1) {
		fmt.Println("no usable Secrets portal; libsecret would use the host Secret Service")
		return
	}

	c := portal.NewClient() // one per process: the portal is asked once
	defer c.Close()
	master, err := c.Secret(ctx)
	if err != nil {
		fmt.Println("portal:", err) // never contains secret bytes
		return
	}
	defer master.Wipe()
	path, _ := portal.KeyringPath()
	fmt.Printf("open %s with the %d-byte portal secret %v\n", path, master.Len(), master)
}
