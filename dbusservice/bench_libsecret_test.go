package dbusservice

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// libsecretLookupLoop times libsecret's own lookup (secret_password_lookup:
// SearchItems, then GetSecrets over its cached DH session) from python-gi,
// on the same daemon and the same item as BenchmarkLookup.
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

// libsecretLookupNs runs libsecretLookupLoop against the bus of env and
// returns libsecret's time per lookup.
func libsecretLookupNs(b *testing.B, env []string) float64 {
	b.Helper()
	cmd := exec.Command("/usr/bin/python3", "-c", libsecretLookupLoop, "200")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		testpeer.Missing(b, fmt.Sprintf("libsecret via python-gi (python3-gi, gir1.2-secret-1): %v\n%s", err, out))
	}
	ns, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("python output %q", out)
	}
	return ns
}
