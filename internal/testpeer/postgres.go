package testpeer

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Postgres is a throwaway PostgreSQL cluster private to one test: initdb in
// a temporary directory, the server listening on a unix socket there only
// (no TCP), trust authentication, fsync off. When the tests run as root
// the cluster belongs to the "postgres" user (the server refuses root).
// Stop and Start take the server down and up again on the same data, for
// outage tests; the cluster is removed when the test ends.
type Postgres struct {
	// Dir holds the data directory, the socket and server.log.
	Dir string
	// URL is a postgres:// URL for the superuser "postgres" and the
	// database "postgres", through the socket.
	URL string

	bin      string
	uid, gid uint32
	asOther  bool
	cmd      *exec.Cmd
	exited   chan struct{}
}

// postgresBin finds the directory with initdb and postgres: the newest
// /usr/lib/postgresql/*/bin (Debian), else wherever PATH has initdb.
func postgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi < vj
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	return filepath.Dir(p), nil
}

// StartPostgres creates and starts a cluster. Without PostgreSQL the test
// is skipped, or fails under CI=true.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	if runtime.GOOS == "windows" {
		Missing(t, "the PostgreSQL harness runs on Unix only")
	}
	bin, err := postgresBin()
	if err != nil {
		Missing(t, "PostgreSQL is not installed (apt-get install -y postgresql)")
	}
	// Not t.TempDir: its parents are root's 0700 directories, which the
	// postgres user cannot enter.
	dir, err := os.MkdirTemp("", "moneypenny-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p := &Postgres{Dir: dir, bin: bin}
	t.Cleanup(func() {
		p.Stop(t)
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			Missing(t, "running as root needs the postgres user to own the cluster (the postgresql package creates it)")
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		p.uid, p.gid, p.asOther = uint32(uid), uint32(gid), true
		if err := os.Chown(dir, int(uid), int(gid)); err != nil {
			t.Fatal(err)
		}
	}
	initdb := p.command(filepath.Join(bin, "initdb"), "-D", p.data(), "-U", "postgres", "-A", "trust",
		"--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.URL = "postgres://postgres@/postgres?host=" + dir
	p.Start(t)
	return p
}

func (p *Postgres) data() string { return filepath.Join(p.Dir, "data") }

func (p *Postgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	if p.asOther {
		cmd.SysProcAttr = childAttrAs(p.uid, p.gid)
	} else {
		cmd.SysProcAttr = childAttr()
	}
	return cmd
}

// Start starts the server (again) and waits until it accepts connections.
func (p *Postgres) Start(t testing.TB) {
	t.Helper()
	if p.cmd != nil {
		t.Fatal("testpeer: postgres is already running")
	}
	log, err := os.OpenFile(p.Log(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	// The server itself in the foreground (not pg_ctl, which detaches),
	// so that it dies with the test process.
	cmd := p.command(filepath.Join(p.bin, "postgres"), "-D", p.data(), "-k", p.Dir,
		"-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=200")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("postgres: %v", err)
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) {
		cmd.Wait()
		close(exited)
	}(p.exited)
	deadline := time.Now().Add(30 * time.Second)
	for !p.ready() {
		select {
		case <-p.exited:
			p.cmd = nil
			t.Fatalf("postgres exited at start:\n%s", p.tail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres not ready after 30s:\n%s", p.tail())
		}
	}
}

// ready reads postmaster.pid, whose eighth line is "ready" once the server
// accepts connections.
func (p *Postgres) ready() bool {
	b, err := os.ReadFile(filepath.Join(p.data(), "postmaster.pid"))
	if err != nil {
		return false
	}
	lines := strings.Split(string(b), "\n")
	return len(lines) > 7 && strings.TrimSpace(lines[7]) == "ready"
}

// Stop shuts the server down (fast shutdown: sessions are ended, running
// transactions rolled back) and waits for it to exit. It does nothing if
// the server is not running.
func (p *Postgres) Stop(t testing.TB) {
	t.Helper()
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
		t.Errorf("postgres did not stop in 30s; killed")
	}
	p.cmd = nil
}

// Log returns the path of the server's log.
func (p *Postgres) Log() string { return filepath.Join(p.Dir, "server.log") }

func (p *Postgres) tail() string {
	b, _ := os.ReadFile(p.Log())
	if i := len(b) - 4000; i > 0 {
		b = b[i:]
	}
	return string(bytes.TrimSpace(b))
}

// String describes the cluster for failure messages.
func (p *Postgres) String() string { return fmt.Sprintf("postgres in %s", p.Dir) }
