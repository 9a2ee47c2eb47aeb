//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// The benchmarks below put `moneypenny serve` side by side with
// gnome-keyring-daemon on the same machine, with the same client and items.

// providerPeer is one Secret Service process on its own bus.
type providerPeer struct {
	bus *testpeer.Bus
	pid int
}

func benchProvider(b *testing.B, items int) providerPeer {
	b.Helper()
	bus := testpeer.NewBus(b)
	if items > 0 {
		fillKeyringFile(b, filepath.Join(bus.DataHome(), "keyrings", "login.keyring"), "bench-pw", items)
	}
	d := startServeTB(b, bus, "bench-pw")
	return providerPeer{bus: bus, pid: d.cmd.Process.Pid}
}

func benchGnomeKeyring(b *testing.B, items int) providerPeer {
	b.Helper()
	testpeer.Need(b, "gnome-keyring-daemon")
	bus := testpeer.NewBus(b)
	k := bus.StartGnomeKeyring(b, "bench-pw")
	if items > 0 {
		ctx := context.Background()
		c, err := dbusservice.OpenCollection(ctx, "default", dbusservice.WithAddress(bus.Address))
		if err != nil {
			b.Fatal(err)
		}
		batch := make([]secret.NewItem, items)
		for i := range batch {
			batch[i] = benchItem(i)
		}
		if _, err := c.CreateItems(ctx, batch); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	return providerPeer{bus: bus, pid: k.Pid()}
}

func benchItem(i int) secret.NewItem {
	return secret.NewItem{Label: fmt.Sprint("bench ", i), Attributes: secret.Attributes{"bench": "1", "n": fmt.Sprint(i)},
		Secret: secret.NewString(fmt.Sprintf("secret number %d", i)), Replace: true}
}

func fillKeyringFile(b testing.TB, path, pw string, n int) {
	ctx := context.Background()
	k, err := filekeyring.Open(ctx, path, []byte(pw))
	if err != nil {
		b.Fatal(err)
	}
	defer k.Close()
	batch := make([]secret.NewItem, n)
	for i := range batch {
		batch[i] = benchItem(i)
	}
	if _, err := k.CreateItems(ctx, batch); err != nil {
		b.Fatal(err)
	}
}

// startServeTB starts the daemon with a password on fd 3 and waits for the
// name; it returns the process and when the name was owned.
func startServeTB(b testing.TB, bus *testpeer.Bus, pw string) *daemonProc {
	b.Helper()
	d, _, _ := timedServe(b, bus, pw)
	return d
}

// timedServe measures from exec to the name being owned, watching
// NameOwnerChanged rather than polling.
func timedServe(b testing.TB, bus *testpeer.Bus, pw string) (*daemonProc, time.Duration, time.Time) {
	b.Helper()
	conn := bus.Conn(b)
	if err := conn.AddMatchSignal(dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, "org.freedesktop.secrets")); err != nil {
		b.Fatal(err)
	}
	sigs := make(chan *dbus.Signal, 8)
	conn.Signal(sigs)
	defer conn.RemoveSignal(sigs)
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	_, _ = w.WriteString(pw)
	w.Close()
	cmd := exec.Command(moneypennyBin, "serve", "--replace", "--prompter=none", "--password-fd", "3")
	cmd.Env = bus.Env()
	cmd.ExtraFiles = []*os.File{r}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	r.Close()
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	timeout := time.After(testpeer.StartTimeout)
	for {
		select {
		case sig := <-sigs:
			if len(sig.Body) == 3 && sig.Body[2] != "" {
				return &daemonProc{cmd: cmd, done: done}, time.Since(start), start
			}
		case <-done:
			b.Fatal("moneypenny serve exited before owning the name")
		case <-timeout:
			b.Fatal("moneypenny serve did not own the name")
		}
	}
}

// secretToolLookupNs times n runs of `secret-tool lookup` against a peer.
func secretToolLookupNs(b *testing.B, p providerPeer, n int) float64 {
	b.Helper()
	env := p.bus.Env()
	start := time.Now()
	for range n {
		cmd := exec.Command("secret-tool", "lookup", "bench", "1", "n", "7")
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil || string(out) != "secret number 7" {
			b.Fatalf("secret-tool lookup: %q %v", out, err)
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// BenchmarkServeSecretToolLookup: one `secret-tool lookup` (a new process,
// connection, DH session, search and GetSecret) against moneypenny serve,
// and against gnome-keyring on the same machine with the same 20 items
// (gnome-keyring-ns/op), and the ratio (x-gnome-keyring; target ≤ 0.8).
//
// The two are measured in turns, one lookup each per iteration, which one
// goes first alternating: on a machine shared with other work the load
// changes within seconds, and measuring each side in its own block of time
// made the ratio swing between 0.6 and 1.3 from run to run. Each lookup
// starts after a short pause, so that what one service does after its
// client left (the provider generates the next session's key pair then,
// gnome-keyring cleans up) lands in neither side's measurement. A lookup
// that a burst of other work hits costs several times the usual, so the
// ratio of the medians is reported too (x-gnome-keyring-median).
func BenchmarkServeSecretToolLookup(b *testing.B) {
	testpeer.Need(b, "secret-tool")
	ours := benchProvider(b, 20)
	theirs := benchGnomeKeyring(b, 20)
	secretToolLookupNs(b, ours, 2) // warm both: page cache, first session
	secretToolLookupNs(b, theirs, 2)
	var oursNs, theirsNs []float64
	// The timer runs over both lookups (b.Loop sizes the run by it);
	// ns/op is replaced with ours alone below.
	timed := func(p providerPeer, into *[]float64) {
		time.Sleep(settle)
		*into = append(*into, secretToolLookupNs(b, p, 1))
	}
	for b.Loop() {
		if len(oursNs)%2 == 0 {
			timed(theirs, &theirsNs)
			timed(ours, &oursNs)
		} else {
			timed(ours, &oursNs)
			timed(theirs, &theirsNs)
		}
	}
	b.StopTimer()
	o, g := meanOf(oursNs), meanOf(theirsNs)
	b.ReportMetric(o, "ns/op")
	b.ReportMetric(g, "gnome-keyring-ns/op")
	b.ReportMetric(o/g, "x-gnome-keyring")
	b.ReportMetric(medianOf(oursNs)/medianOf(theirsNs), "x-gnome-keyring-median")
}

// settle is the pause before each timed lookup: a few times what a service
// does after a lookup (one 1024-bit key generation, about 1 ms here).
const settle = 10 * time.Millisecond

func meanOf(v []float64) float64 {
	var t float64
	for _, x := range v {
		t += x
	}
	return t / float64(len(v))
}

func medianOf(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkServeGetSecrets100CPU: the service's own CPU time (all its
// threads, from schedstat) for one GetSecrets of 100 items over a DH
// session, for moneypenny serve and for gnome-keyring, and the ratio
// (x-gnome-keyring; target ≤ 0.3).
func BenchmarkServeGetSecrets100CPU(b *testing.B) {
	ours := benchProvider(b, 100)
	theirs := benchGnomeKeyring(b, 100)
	measure := func(p providerPeer, rounds int) float64 {
		ctx := context.Background()
		s, err := dbusservice.Connect(ctx, dbusservice.WithAddress(p.bus.Address))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		unl, _, err := s.SearchItems(ctx, secret.Attributes{"bench": "1"})
		if err != nil || len(unl) != 100 {
			b.Fatalf("search: %d %v", len(unl), err)
		}
		if _, err := s.GetSecrets(ctx, unl...); err != nil { // warm: session open
			b.Fatal(err)
		}
		var total time.Duration
		for range rounds {
			cpu := testpeer.ProcessCPU(b, p.pid)
			m, err := s.GetSecrets(ctx, unl...)
			if err != nil || len(m) != 100 {
				b.Fatalf("GetSecrets: %d %v", len(m), err)
			}
			total += testpeer.ProcessCPU(b, p.pid) - cpu
			for _, v := range m {
				v.Wipe()
			}
		}
		return float64(total.Nanoseconds()) / float64(rounds)
	}
	g := measure(theirs, 50)
	b.ResetTimer()
	o := measure(ours, b.N)
	b.StopTimer()
	g = (g + measure(theirs, 50)) / 2
	b.ReportMetric(o, "provider-cpu-ns/op")
	b.ReportMetric(g, "gnome-keyring-cpu-ns/op")
	b.ReportMetric(o/g, "x-gnome-keyring")
}

// BenchmarkServeStart1000: from exec to owning org.freedesktop.secrets with
// a 1,000-item login.keyring unlocked by --password-fd (start-ms; target
// ≤ 50), from exec to the first search answered, which waits for the
// key derivation (first-answer-ms), and the daemon's resident memory then
// (provider-rss-start-KiB), right after reading all 1,000 secrets
// (provider-rss-KiB), after a second full read (provider-rss-again-KiB)
// and once the bus has been quiet for longer than idleDelay
// (provider-rss-idle-KiB), next to gnome-keyring's with the same 1,000
// items at the same moments (gnome-keyring-rss-KiB after its first read,
// gnome-keyring-rss-idle-KiB).
func BenchmarkServeStart1000(b *testing.B) {
	bus := testpeer.NewBus(b)
	fillKeyringFile(b, filepath.Join(bus.DataHome(), "keyrings", "login.keyring"), "bench-pw", 1000)
	var total, answered time.Duration
	var last *daemonProc
	conn := bus.Conn(b)
	for b.Loop() {
		if last != nil {
			_ = last.cmd.Process.Signal(os.Interrupt)
			<-last.done
		}
		var d time.Duration
		var start time.Time
		last, d, start = timedServe(b, bus, "bench-pw")
		total += d
		var unl, lck []dbus.ObjectPath
		err := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").Call(
			"org.freedesktop.Secret.Service.SearchItems", 0, map[string]string{"n": "7"}).Store(&unl, &lck)
		if err != nil || len(unl) != 1 {
			b.Fatalf("first search: %v %v %v", unl, lck, err)
		}
		answered += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "start-ms")
	b.ReportMetric(float64(answered.Microseconds())/1000/float64(b.N), "first-answer-ms")
	readAll := func(p providerPeer) {
		ctx := context.Background()
		s, err := dbusservice.Connect(ctx, dbusservice.WithAddress(p.bus.Address))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		unl, _, err := s.SearchItems(ctx, secret.Attributes{"bench": "1"})
		if err != nil || len(unl) != 1000 {
			b.Fatalf("search: %d %v", len(unl), err)
		}
		if _, err := s.GetSecrets(ctx, unl...); err != nil {
			b.Fatal(err)
		}
	}
	ours := providerPeer{bus: bus, pid: last.cmd.Process.Pid}
	b.ReportMetric(rssKiB(b, ours.pid), "provider-rss-start-KiB")
	readAll(ours)
	b.ReportMetric(rssKiB(b, ours.pid), "provider-rss-KiB")
	readAll(ours)
	b.ReportMetric(rssKiB(b, ours.pid), "provider-rss-again-KiB")
	theirs := benchGnomeKeyring(b, 1000)
	readAll(theirs)
	b.ReportMetric(rssKiB(b, theirs.pid), "gnome-keyring-rss-KiB")
	readAll(theirs)
	time.Sleep(idleDelay + time.Second)
	b.ReportMetric(rssKiB(b, ours.pid), "provider-rss-idle-KiB")
	b.ReportMetric(rssKiB(b, theirs.pid), "gnome-keyring-rss-idle-KiB")
}

func rssKiB(b *testing.B, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			v, _ := strconv.ParseFloat(f[0], 64)
			return v
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
