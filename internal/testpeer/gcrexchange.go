package testpeer

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// GcrSecret is the secret gcr's side of a GcrExchange sends.
const GcrSecret = "from gcr"

// gcrExchangeScript is gcr's own GcrSecretExchange (python-gi, Gcr 3),
// driven line by line: "begin" starts a new exchange and prints gcr's first
// message; "fresh" starts one that waits for ours; any other line is a
// message of ours, which gcr receives before printing its reply carrying
// GcrSecret ("refused" if it refuses the message). Newlines travel as \n.
const gcrExchangeScript = `
import sys, gi
gi.require_version('Gcr', '3')
from gi.repository import Gcr
ex = None
for line in sys.stdin:
    line = line.rstrip("\n")
    if line == "begin":
        ex = Gcr.SecretExchange.new(None)
        print(ex.begin().replace("\n", "\\n"), flush=True)
        continue
    if line == "fresh":
        ex = Gcr.SecretExchange.new(None)
        continue
    if not ex.receive(line.replace("\\n", "\n")):
        print("refused", flush=True)
        continue
    print(ex.send("` + GcrSecret + `", -1).replace("\n", "\\n"), flush=True)
`

// GcrExchange is gcr's side of the prompt's secret exchange (sx-aes-1), for
// checking this project's sides against the library gnome-keyring and the
// desktop prompters use.
type GcrExchange struct {
	t     testing.TB
	stdin io.WriteCloser
	lines *bufio.Scanner
}

// StartGcrExchange runs gcr's side; it is a missing peer (Missing) without
// python3-gi and Gcr 3. It stops with the test.
func StartGcrExchange(t testing.TB) *GcrExchange {
	t.Helper()
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import gi; gi.require_version('Gcr', '3')").CombinedOutput(); err != nil {
		Missing(t, "python3-gi with gir1.2-gcr-3: "+strings.TrimSpace(string(out)))
	}
	cmd := exec.Command(python, "-c", gcrExchangeScript)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 64<<10), 64<<10)
	return &GcrExchange{t: t, stdin: stdin, lines: lines}
}

// Send gives gcr one line: "begin", "fresh" or a message of ours.
func (g *GcrExchange) Send(line string) {
	fmt.Fprintln(g.stdin, strings.ReplaceAll(line, "\n", `\n`))
}

// Reply is gcr's next line.
func (g *GcrExchange) Reply() string {
	g.t.Helper()
	if !g.lines.Scan() {
		g.t.Fatalf("gcr side ended: %v", g.lines.Err())
	}
	return strings.ReplaceAll(g.lines.Text(), `\n`, "\n")
}

// Ask sends a line and returns gcr's reply.
func (g *GcrExchange) Ask(line string) string {
	g.t.Helper()
	g.Send(line)
	return g.Reply()
}
