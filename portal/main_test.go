package portal

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"
)

// probeEnv switches the test binary into a small probe program. The real-
// portal test runs this same binary inside a bubblewrap "fake Flatpak", so
// that the portal sees a sandboxed caller, and reads what it prints.
const probeEnv = "MONEYPENNY_PORTAL_PROBE"

func TestMain(m *testing.M) {
	if os.Getenv(probeEnv) == "1" {
		os.Exit(probe())
	}
	os.Exit(m.Run())
}

// probe prints, one key=value per line, what this package sees from where it
// runs: the sandbox verdict, the portal version, the secret (as hex: this is
// test-only code, the secret belongs to a throwaway keyring) from one Client
// asked twice and from a second, independent request, and KeyringPath.
func probe() int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sb := DetectSandbox()
	fmt.Printf("kind=%s\nappid=%s\n", sb.Kind, sb.AppID)
	v, err := Version(ctx)
	if err != nil {
		fmt.Printf("error=version: %v\n", err)
		return 1
	}
	fmt.Printf("version=%d\n", v)
	c := NewClient()
	defer c.Close()
	for _, key := range []string{"secret", "again"} {
		s, err := c.Secret(ctx)
		if err != nil {
			fmt.Printf("error=%s: %v\n", key, err)
			return 1
		}
		fmt.Printf("%s=%s\n", key, hex.EncodeToString(s.Bytes()))
		s.Wipe()
	}
	s, err := RetrieveSecret(ctx)
	if err != nil {
		fmt.Printf("error=fresh: %v\n", err)
		return 1
	}
	fmt.Printf("fresh=%s\n", hex.EncodeToString(s.Bytes()))
	s.Wipe()
	p, err := KeyringPath()
	if err != nil {
		fmt.Printf("error=keyring path: %v\n", err)
		return 1
	}
	fmt.Printf("keyring=%s\n", p)
	return 0
}
