// Command benchcli times whole-process lookups on one file keyring: the
// moneypenny CLI against libsecret's secret-tool (SECRET_BACKEND=file) on the
// same N-item file, with and without moneypenny's unlock cache. It is the
// benchmark behind the README's performance targets:
//
//	go run ./internal/cmd/benchcli -items 1000 -runs 30
//
// Every run's output is checked, so a fast wrong answer cannot win.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/secret"
)

func main() {
	items := flag.Int("items", 1000, "items in the keyring")
	runs := flag.Int("runs", 30, "timed runs per command")
	keep := flag.String("keep", "", "work in this directory and leave the keyring and binary there (for perf, strace)")
	flag.Parse()
	if err := bench(*items, *runs, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "benchcli:", err)
		os.Exit(1)
	}
}

const password = "bench password"

func bench(n, runs int, keep string) error {
	ctx := context.Background()
	dir := keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "benchcli-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	path := filepath.Join(dir, "bench.keyring")
	_ = os.Remove(path)
	if err := makeKeyring(ctx, path, n); err != nil {
		return err
	}
	bin := filepath.Join(dir, "moneypenny")
	build := exec.Command("go", "build", "-o", bin, "github.com/moneypenny-go/keyring/cmd/moneypenny")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // as shipped: static, no dynamic loader at start
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build moneypenny: %w", err)
	}
	target := n / 2
	want := []byte(fmt.Sprintf("secret number %d", target))
	args := []string{"lookup", "service", fmt.Sprintf("svc-%d", target), "username", fmt.Sprintf("user-%d", target)}
	home := filepath.Join(dir, "home")
	base := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "DBUS_SESSION_BUS_ADDRESS=disabled:"}

	st, err := exec.LookPath("secret-tool")
	if err != nil {
		return fmt.Errorf("secret-tool is not installed (apt-get install libsecret-tools)")
	}
	libsecret := timeRuns(runs, exec.Command(st, args...), append(base,
		"SECRET_BACKEND=file", "SECRET_FILE_TEST_PATH="+path, "SECRET_FILE_TEST_PASSWORD="+password), want)
	mpEnv := append(base, "MONEYPENNY_BACKEND=file", "MONEYPENNY_KEYRING="+path, "MONEYPENNY_PASSWORD="+password)
	cold := timeRuns(runs, exec.Command(bin, args...), append(mpEnv, "MONEYPENNY_UNLOCK_CACHE=0"), want)
	// Warm the unlock cache once, then time lookups that skip PBKDF2; lock
	// drops the cached key afterwards.
	warm := timeRuns(runs, exec.Command(bin, args...), mpEnv, want)
	lock := exec.Command(bin, "lock")
	lock.Env = mpEnv
	_ = lock.Run()

	for _, r := range []result{libsecret, cold, warm} {
		if r.err != nil {
			return r.err
		}
	}
	fmt.Printf("lookup of item %d in a %d-item file keyring, %d runs each, median wall time per process:\n", target, n, runs)
	fmt.Printf("  secret-tool (libsecret file backend)   %8.2f ms\n", ms(libsecret.median))
	fmt.Printf("  moneypenny, no unlock cache            %8.2f ms  (%.2fx secret-tool; target <= 0.30x)\n", ms(cold.median), ratio(cold, libsecret))
	fmt.Printf("  moneypenny, unlock cache warm          %8.2f ms  (%.2fx secret-tool; target <= 0.10x)\n", ms(warm.median), ratio(warm, libsecret))
	// The floor: starting a process that does nothing, and the CLI
	// printing its usage, on this machine.
	trueBin, _ := exec.LookPath("true")
	floor := timeRuns(runs, exec.Command(trueBin), base, nil)
	usage := timeRuns(runs, exec.Command(bin, "help"), base, nil)
	if floor.err == nil && usage.err == nil {
		fmt.Printf("  floor: /bin/true %.2f ms, moneypenny help %.2f ms (process start alone)\n", ms(floor.median), ms(usage.median))
	}
	return nil
}

func makeKeyring(ctx context.Context, path string, n int) error {
	kr, err := filekeyring.Open(ctx, path, []byte(password))
	if err != nil {
		return err
	}
	defer kr.Close()
	batch := make([]secret.NewItem, n)
	for i := range batch {
		batch[i] = secret.NewItem{
			Label:      fmt.Sprintf("item %d", i),
			Attributes: secret.Attributes{"service": fmt.Sprintf("svc-%d", i), "username": fmt.Sprintf("user-%d", i)},
			Secret:     secret.NewString(fmt.Sprintf("secret number %d", i)),
		}
	}
	_, err = kr.CreateItems(ctx, batch)
	return err
}

type result struct {
	median time.Duration
	err    error
}

// timeRuns runs cmd once to warm caches (page cache, unlock cache), then
// runs times more and returns the median.
func timeRuns(runs int, proto *exec.Cmd, env []string, want []byte) result {
	var times []time.Duration
	for i := 0; i <= runs; i++ {
		cmd := exec.Command(proto.Path, proto.Args[1:]...)
		cmd.Env = env
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		if err != nil {
			return result{err: fmt.Errorf("%s: %v: %s", filepath.Base(proto.Path), err, errOut.String())}
		}
		if want != nil && !bytes.Equal(bytes.TrimRight(out.Bytes(), "\n"), want) {
			return result{err: fmt.Errorf("%s printed a wrong secret (%d bytes)", filepath.Base(proto.Path), out.Len())}
		}
		if i > 0 {
			times = append(times, d)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return result{median: times[len(times)/2]}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ratio(a, b result) float64 { return float64(a.median) / float64(b.median) }
