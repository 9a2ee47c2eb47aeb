package dbusservice

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// libsecretLookupLoop times libsecret's own lookup (secret_password_lookup:
// SearchItems, then GetSecrets over its cached DH session) from python-gi,
// on the same daemon and the same item as BenchmarkLookupVsLibsecret.
const libsecretLookupLoop = `
import gi, sys, time
gi.require_version('Secret', '1')
from gi.repository import Secret
schema = Secret.Schema.new("bench", Secret.SchemaFlags.DONT_MATCH_NAME,
    {"bench": Secret.SchemaAttributeType.STRING, "n": Secret.SchemaAttributeType.STRING})
attrs = {"bench": "1", "n": "7"}
n = int(sys.argv[1])
for _ in range(20):
    assert Secret.password_lookup_sync(schema, attrs, None) == "secret number 7"
start = time.perf_counter_ns()
for _ in range(n):
    Secret.password_lookup_sync(schema, attrs, None)
print((time.perf_counter_ns() - start) // n)
`

// BenchmarkLookupVsLibsecret reports our lookup (ns/op) next to libsecret's
// (libsecret-ns/op, measured in the same process tree against the same
// gnome-keyring) and their ratio (x-libsecret; target ≤ 1.0).
func BenchmarkLookupVsLibsecret(b *testing.B) {
	k := startKeyringTB(b)
	ctx := context.Background()
	s, err := Connect(ctx, WithAddress(k.bus.Address))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	c, err := s.DefaultCollection(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if _, err := c.Create(ctx, "bench", secret.Attributes{"bench": "1", "n": strconv.Itoa(i)},
			secret.NewString("secret number "+strconv.Itoa(i)), true); err != nil {
			b.Fatal(err)
		}
	}
	cmd := exec.Command("/usr/bin/python3", "-c", libsecretLookupLoop, "200")
	cmd.Env = k.bus.Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		testpeer.Missing(b, fmt.Sprintf("libsecret via python-gi (python3-gi, gir1.2-secret-1): %v\n%s", err, out))
	}
	theirs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("python output %q", out)
	}
	q := secret.Attributes{"bench": "1", "n": "7"}
	b.ResetTimer()
	for b.Loop() {
		items, err := c.Search(ctx, q)
		if err != nil || len(items) != 1 {
			b.Fatalf("search: %d, %v", len(items), err)
		}
		v, err := items[0].Secret(ctx)
		if err != nil {
			b.Fatal(err)
		}
		v.Wipe()
	}
	ours := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(theirs, "libsecret-ns/op")
	b.ReportMetric(ours/theirs, "x-libsecret")
}
