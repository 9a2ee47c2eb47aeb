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
	return runLibsecret(b, env, 1, libsecretLookupLoop, "200")[0]
}

// runLibsecret runs a python-gi script against the bus of env and returns
// the want numbers it prints.
func runLibsecret(b *testing.B, env []string, want int, script string, args ...string) []float64 {
	b.Helper()
	cmd := exec.Command("/usr/bin/python3", append([]string{"-c", script}, args...)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		testpeer.Missing(b, fmt.Sprintf("libsecret via python-gi (python3-gi, gir1.2-secret-1): %v\n%s", err, out))
	}
	fields := strings.Fields(string(out))
	if len(fields) != want {
		b.Fatalf("python output %q", out)
	}
	nums := make([]float64, want)
	for i, f := range fields {
		if nums[i], err = strconv.ParseFloat(f, 64); err != nil {
			b.Fatalf("python output %q", out)
		}
	}
	return nums
}

// libsecretBatchLoop times libsecret reading the same secrets both ways:
// all at once (secret_item_load_secrets: one GetSecrets) and one by one
// (secret_item_load_secret: a GetSecret each). It prints both times per
// round, in ns.
const libsecretBatchLoop = `
import gi, sys, time
gi.require_version('Secret', '1')
from gi.repository import Secret
schema = Secret.Schema.new("bench", Secret.SchemaFlags.DONT_MATCH_NAME,
    {"bench": Secret.SchemaAttributeType.STRING})
svc = Secret.Service.get_sync(Secret.ServiceFlags.OPEN_SESSION, None)
items = svc.search_sync(schema, {"bench": "1"}, Secret.SearchFlags.ALL, None)
assert len(items) == int(sys.argv[1]), len(items)
rounds = int(sys.argv[2])
for _ in range(3):
    Secret.Item.load_secrets_sync(items, None)
start = time.perf_counter_ns()
for _ in range(rounds):
    Secret.Item.load_secrets_sync(items, None)
batch = (time.perf_counter_ns() - start) / rounds
start = time.perf_counter_ns()
for _ in range(rounds):
    for it in items:
        it.load_secret_sync(None)
single = (time.perf_counter_ns() - start) / rounds
assert items[0].get_secret().get_text().startswith("secret number")
print(int(batch), int(single))
`

// libsecretBatchNs runs libsecretBatchLoop against the n "bench" items on
// the bus of env.
func libsecretBatchNs(b *testing.B, env []string, n int) (batch, single float64) {
	nums := runLibsecret(b, env, 2, libsecretBatchLoop, strconv.Itoa(n), "20")
	return nums[0], nums[1]
}
