package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

func runCommand() *command {
	return &command{
		name:     "run",
		synopsis: "[--env-file FILE] [--no-masking] -- COMMAND [ARG ...]",
		summary:  "Run COMMAND with every environment variable whose value is a vault:// reference set to the secret.",
		details: "Variables come from the environment, then --env-file (KEY=VALUE lines; # comments, export,\n" +
			"'single' and \"double\" quotes). A reference that does not resolve stops the run before COMMAND\n" +
			"starts. The secrets are masked in COMMAND's stdout and stderr when they are pipes or files\n" +
			"(--no-masking turns that off); a terminal is handed to COMMAND as it is, so interactive\n" +
			"programs keep working. Signals are forwarded (on a terminal, the terminal itself delivers\n" +
			"Ctrl-C and Ctrl-\\ to COMMAND); the exit status is COMMAND's, 128+N when signal N killed it.\n" +
			vaultDetails,
		example: "OPENAI_API_KEY=vault://org/acme/openai_api_key moneypenny run -- ./agent --serve",
		flags:   runFlags,
		run:     cmdRun,
	}
}

func runFlags(fs *flag.FlagSet, c *cli) {
	vaultEngineFlags(fs, c)
	fs.StringVar(&c.vault.envFile, "env-file", "", "also read variables from `FILE` (KEY=VALUE lines)")
	fs.BoolVar(&c.vault.noMasking, "no-masking", false, "do not mask secrets in COMMAND's piped output")
}

// orphanedPipeDelay is how long run still copies a child's masked output
// after the child exited, for a grandchild that keeps the pipe open.
const orphanedPipeDelay = 2 * time.Second

// maxEnvFile bounds --env-file.
const maxEnvFile = 1 << 20

func cmdRun(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		return usageError{"expected a command: moneypenny run -- COMMAND [ARG ...]"}
	}
	env := os.Environ()
	if c.vault.envFile != "" {
		extra, err := readEnvFile(c.vault.envFile)
		if err != nil {
			return err
		}
		env = append(env, extra...)
	}
	env, secrets, err := c.resolveEnv(ctx, env)
	if err != nil {
		return err
	}
	defer func() {
		for _, s := range secrets {
			secret.Wipe(s)
		}
	}()
	path, err := exec.LookPath(args[0])
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	cmd := exec.Command(path, args[1:]...)
	cmd.Env = env
	cmd.Stdin = c.io.stdin
	var maskers []*masker
	attach := func(w io.Writer) io.Writer {
		if c.vault.noMasking || isTerminal(w) || len(secrets) == 0 {
			return w
		}
		m := newMasker(w, secrets)
		maskers = append(maskers, m)
		return m
	}
	cmd.Stdout = attach(c.io.stdout)
	cmd.Stderr = attach(c.io.stderr)
	// A child that leaves a background process holding the masked pipes
	// (a daemon it started) must not keep us waiting once it has exited.
	cmd.WaitDelay = orphanedPipeDelay
	return c.supervise(cmd, maskers)
}

// supervise starts cmd, forwards signals to it until it exits, and turns its
// exit into ours.
func (c *cli) supervise(cmd *exec.Cmd, maskers []*masker) error {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	fromTerminal := isTerminal(c.io.stdin)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				// The terminal sends its signals to the whole foreground
				// process group, COMMAND included: a second copy would
				// turn one Ctrl-C into two.
				if fromTerminal && terminalSignal(s) {
					continue
				}
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	for _, m := range maskers {
		_ = m.Flush()
	}
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return exitCode(exitStatus(ee.ProcessState))
	}
	return fmt.Errorf("run: %w", err)
}

// resolveEnv replaces every KEY=vault://... in env (later entries win, as
// for a shell) and returns the values for masking. Every failing
// reference is reported, with its variable.
func (c *cli) resolveEnv(ctx context.Context, env []string) ([]string, [][]byte, error) {
	last := map[string]int{}
	for i, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		last[k] = i
	}
	var (
		out     []string
		refs    []int
		secrets [][]byte
	)
	for i, kv := range env {
		k, val, _ := strings.Cut(kv, "=")
		if last[k] != i {
			continue
		}
		if vault.IsRef(val) {
			refs = append(refs, len(out))
		}
		out = append(out, kv)
	}
	if len(refs) == 0 {
		return out, nil, nil
	}
	v, err := c.openVault(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer v.Close()
	var errs []error
	for _, i := range refs {
		k, ref, _ := strings.Cut(out[i], "=")
		val, err := v.Resolve(ctx, ref)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
			continue
		}
		b := val.Bytes()
		if bytes.IndexByte(b, 0) >= 0 {
			val.Wipe()
			errs = append(errs, fmt.Errorf("%s: %s holds a NUL byte, which an environment variable cannot: %w", k, ref, secret.ErrInvalidArgument))
			continue
		}
		out[i] = k + "=" + string(b)
		if len(b) > 0 {
			secrets = append(secrets, b)
		}
	}
	if len(errs) > 0 {
		for _, s := range secrets {
			secret.Wipe(s)
		}
		return nil, nil, errors.Join(errs...)
	}
	return out, secrets, nil
}

// readEnvFile reads KEY=VALUE lines: blank lines and # comments are
// skipped, "export " is allowed, a value in single quotes is literal, one
// in double quotes knows \n, \", \\ and \$.
func readEnvFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--env-file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxEnvFile+1))
	if err != nil {
		return nil, fmt.Errorf("--env-file %s: %w", path, err)
	}
	if len(b) > maxEnvFile {
		return nil, fmt.Errorf("--env-file %s is over %d bytes", path, maxEnvFile)
	}
	var env []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), maxEnvFile)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("--env-file %s:%d: want KEY=VALUE", path, n)
		}
		v, err := unquoteEnv(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("--env-file %s:%d: %v", path, n, err)
		}
		env = append(env, k+"="+v)
	}
	return env, sc.Err()
}

func unquoteEnv(v string) (string, error) {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1], nil
	}
	if len(v) >= 1 && v[0] == '"' {
		if len(v) < 2 || v[len(v)-1] != '"' {
			return "", errors.New("unterminated double quote")
		}
		var b strings.Builder
		in := v[1 : len(v)-1]
		for i := 0; i < len(in); i++ {
			if in[i] == '\\' && i+1 < len(in) {
				i++
				switch in[i] {
				case 'n':
					b.WriteByte('\n')
				case '"', '\\', '$':
					b.WriteByte(in[i])
				default:
					b.WriteByte('\\')
					b.WriteByte(in[i])
				}
				continue
			}
			b.WriteByte(in[i])
		}
		return b.String(), nil
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v, nil
}

// maskText replaces a secret in the child's output.
const maskText = "<concealed by moneypenny>"

// masker is a writer that replaces every occurrence of a secret with
// maskText, also when a secret is split across writes: it holds back only
// the shortest tail that could still be the start of a secret, so ordinary
// output passes at once.
type masker struct {
	mu      sync.Mutex
	w       io.Writer
	secrets [][]byte
	pending []byte
}

func newMasker(w io.Writer, secrets [][]byte) *masker {
	return &masker{w: w, secrets: secrets}
}

func (m *masker) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending = append(m.pending, p...)
	out, keep := m.scan(m.pending, false)
	if _, err := m.w.Write(out); err != nil {
		return 0, err
	}
	m.pending = append(m.pending[:0], keep...)
	return len(p), nil
}

// Flush writes what was held back at the end of the output.
func (m *masker) Flush() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	out, _ := m.scan(m.pending, true)
	secret.Wipe(m.pending)
	m.pending = nil
	_, err := m.w.Write(out)
	return err
}

// scan returns buf with secrets masked, up to the tail that might begin a
// secret (kept for the next write unless final).
func (m *masker) scan(buf []byte, final bool) (out, keep []byte) {
	var b bytes.Buffer
	i := 0
	for i < len(buf) {
		// A longer secret that more output could complete goes first: with
		// secrets "abc" and "abcdef", masking "abc" as soon as it shows
		// would print the "def" that follows.
		if !final && m.prefixAt(buf[i:]) {
			return b.Bytes(), buf[i:]
		}
		if n := m.matchAt(buf[i:]); n > 0 {
			b.WriteString(maskText)
			i += n
			continue
		}
		b.WriteByte(buf[i])
		i++
	}
	return b.Bytes(), nil
}

// matchAt returns the length of the longest secret at the start of b.
func (m *masker) matchAt(b []byte) int {
	best := 0
	for _, s := range m.secrets {
		if len(s) > best && bytes.HasPrefix(b, s) {
			best = len(s)
		}
	}
	return best
}

// prefixAt reports whether b (the rest of the buffer) is a proper prefix
// of some secret: more output could complete it.
func (m *masker) prefixAt(b []byte) bool {
	for _, s := range m.secrets {
		if len(b) < len(s) && bytes.HasPrefix(s, b) {
			return true
		}
	}
	return false
}
