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
	"slices"
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
	mpEnv := append(slices.Clip(base), "MONEYPENNY_BACKEND=file", "MONEYPENNY_KEYRING="+path, "MONEYPENNY_PASSWORD="+password)
	trueBin, _ := exec.LookPath("true")
	emptyGo, err := buildEmptyGo(dir)
	if err != nil {
		return err
	}
	cases := []*benchCase{
		{name: "secret-tool", argv: append([]string{st}, args...), want: want,
			env: append(slices.Clip(base), "SECRET_BACKEND=file", "SECRET_FILE_TEST_PATH="+path, "SECRET_FILE_TEST_PASSWORD="+password)},
		{name: "moneypenny", argv: append([]string{bin}, args...), want: want, env: append(slices.Clip(mpEnv), "MONEYPENNY_UNLOCK_CACHE=0")},
		// The first (untimed) run warms the unlock cache; later runs
		// skip PBKDF2. lock drops the cached key afterwards.
		{name: "moneypenny", argv: append([]string{bin}, args...), want: want, env: mpEnv},
		// The floor: starting a process that does nothing, a Go program
		// that does nothing (the Go runtime's own start), and the CLI
		// printing its usage, on this machine.
		{name: "true", argv: []string{trueBin}, env: base},
		{name: "empty Go program", argv: []string{emptyGo}, env: base},
		{name: "moneypenny", argv: []string{bin, "help"}, env: base},
	}
	// The runs are interleaved, one of each command per round, so that
	// this machine's drift (it varies by a third over minutes) weighs on
	// every command alike instead of on whichever ran last.
	err = timeRounds(runs, cases)
	lock := exec.Command(bin, "lock")
	lock.Env = mpEnv
	_ = lock.Run()
	if err != nil {
		return err
	}
	libsecret, cold, warm, floor, goFloor, usage := cases[0], cases[1], cases[2], cases[3], cases[4], cases[5]
	fmt.Printf("lookup of item %d in a %d-item file keyring, %d interleaved runs each, median wall time per process:\n", target, n, runs)
	fmt.Printf("  secret-tool (libsecret file backend)   %8.2f ms\n", ms(libsecret.median))
	fmt.Printf("  moneypenny, no unlock cache            %8.2f ms  (%.2fx secret-tool)\n", ms(cold.median), ratio(cold, libsecret))
	fmt.Printf("  moneypenny, unlock cache warm          %8.2f ms  (%.2fx secret-tool)\n", ms(warm.median), ratio(warm, libsecret))
	fmt.Printf("  floor: /bin/true %.2f ms, an empty Go program %.2f ms (%.2fx secret-tool), moneypenny help %.2f ms\n",
		ms(floor.median), ms(goFloor.median), ratio(goFloor, libsecret), ms(usage.median))
	return nil
}

// buildEmptyGo builds `func main() {}` as the CLI is built, to show what
// starting the Go runtime alone costs here.
func buildEmptyGo(dir string) (string, error) {
	src := filepath.Join(dir, "emptygo")
	if err := os.MkdirAll(src, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module emptygo\n\ngo 1.24\n"), 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o600); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "emptygo.bin")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build an empty Go program: %w", err)
	}
	return bin, nil
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

// benchCase is one command to time.
type benchCase struct {
	name   string
	argv   []string
	env    []string
	want   []byte // expected stdout (trailing newline ignored); nil: not checked
	times  []time.Duration
	median time.Duration
}

// timeRounds runs every case once untimed (page cache, unlock cache), then
// runs rounds, each case once per round, and sets each case's median.
func timeRounds(runs int, cases []*benchCase) error {
	for round := 0; round <= runs; round++ {
		for _, c := range cases {
			d, err := c.run()
			if err != nil {
				return err
			}
			if round > 0 {
				c.times = append(c.times, d)
			}
		}
	}
	for _, c := range cases {
		sort.Slice(c.times, func(i, j int) bool { return c.times[i] < c.times[j] })
		c.median = c.times[len(c.times)/2]
	}
	return nil
}

func (c *benchCase) run() (time.Duration, error) {
	cmd := exec.Command(c.argv[0], c.argv[1:]...)
	cmd.Env = c.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s: %v: %s", c.name, err, errOut.String())
	}
	if c.want != nil && !bytes.Equal(bytes.TrimRight(out.Bytes(), "\n"), c.want) {
		return 0, fmt.Errorf("%s printed a wrong secret (%d bytes)", c.name, out.Len())
	}
	return d, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ratio(a, b *benchCase) float64 { return float64(a.median) / float64(b.median) }
