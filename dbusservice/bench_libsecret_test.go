package dbusservice

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// libsecretLookupServer times libsecret's own lookup (secret_password_lookup:
// SearchItems, then GetSecrets over its cached DH session) from python-gi,
// on the same provider and the same item as BenchmarkLookup. It stays
// running: each line "N" on stdin makes it do N lookups and print the time
// per lookup in ns, so the benchmark can alternate short rounds of ours and
// libsecret's on a machine whose speed drifts by several times within a
// minute.
const libsecretLookupServer = `
import gi, sys, time
gi.require_version('Secret', '1')
from gi.repository import Secret
schema = Secret.Schema.new("bench", Secret.SchemaFlags.DONT_MATCH_NAME,
    {"bench": Secret.SchemaAttributeType.STRING, "n": Secret.SchemaAttributeType.STRING})
attrs = {"bench": "1", "n": "7"}
for _ in range(20):
    assert Secret.password_lookup_sync(schema, attrs, None) == "secret number 7"
print("ready", flush=True)
for line in sys.stdin:
    n = int(line)
    start = time.perf_counter_ns()
    for _ in range(n):
        Secret.password_lookup_sync(schema, attrs, None)
    print((time.perf_counter_ns() - start) // n, flush=True)
`

// libsecretLookups is a running libsecretLookupServer.
type libsecretLookups struct {
	b   *testing.B
	in  io.WriteCloser
	out *bufio.Scanner
}

// startLibsecretLookups starts libsecretLookupServer against the bus of
// env; it is stopped when the benchmark ends.
func startLibsecretLookups(b *testing.B, env []string) *libsecretLookups {
	b.Helper()
	cmd := exec.Command("/usr/bin/python3", "-c", libsecretLookupServer)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		testpeer.Missing(b, fmt.Sprintf("libsecret via python-gi (python3-gi, gir1.2-secret-1): %v", err))
	}
	b.Cleanup(func() {
		_ = in.Close()
		_ = cmd.Wait()
	})
	l := &libsecretLookups{b: b, in: in, out: bufio.NewScanner(out)}
	if !l.out.Scan() || l.out.Text() != "ready" {
		_ = in.Close()
		_ = cmd.Wait()
		testpeer.Missing(b, "libsecret via python-gi (python3-gi, gir1.2-secret-1): "+stderr.String())
	}
	return l
}

// round makes libsecret do n lookups and returns its time per lookup.
func (l *libsecretLookups) round(n int) float64 {
	l.b.Helper()
	if _, err := fmt.Fprintln(l.in, n); err != nil {
		l.b.Fatal(err)
	}
	if !l.out.Scan() {
		l.b.Fatalf("libsecret lookup server ended: %v", l.out.Err())
	}
	ns, err := strconv.ParseFloat(l.out.Text(), 64)
	if err != nil {
		l.b.Fatalf("libsecret lookup server printed %q", l.out.Text())
	}
	return ns
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
