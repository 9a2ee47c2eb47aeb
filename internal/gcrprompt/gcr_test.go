package gcrprompt

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// gcrSide is gcr's own GcrSecretExchange (python-gi, Gcr 3) in the
// prompter's role: "begin" prints its first message; any other line is our
// message, which gcr receives before printing its reply carrying the
// password "typed in gcr". Newlines travel as \n.
const gcrSide = `
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
    if not ex.receive(line.replace("\\n", "\n")):
        print("refused", flush=True)
        continue
    print(ex.send("typed in gcr", -1).replace("\n", "\\n"), flush=True)
`

// TestExchangeAgainstGcr runs our side of sx-aes-1 against gcr's library
// until two exchanges have had a shared secret with a zero top byte (1 in
// 256), which gcr hashes one byte shorter: every password must come out
// right.
func TestExchangeAgainstGcr(t *testing.T) {
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import gi; gi.require_version('Gcr', '3')").CombinedOutput(); err != nil {
		testpeer.Missing(t, "python3-gi with gir1.2-gcr-3: "+strings.TrimSpace(string(out)))
	}
	cmd := exec.Command(python, "-c", gcrSide)
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
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 64<<10), 64<<10)
	ask := func(line string) string {
		t.Helper()
		fmt.Fprintln(stdin, strings.ReplaceAll(line, "\n", `\n`))
		if !lines.Scan() {
			t.Fatalf("gcr side ended: %v", lines.Err())
		}
		return strings.ReplaceAll(lines.Text(), `\n`, "\n")
	}
	short := 0
	for i := 0; short < 2; i++ {
		if i == 5000 {
			t.Fatal("no short shared secret in 5000 exchanges")
		}
		x, err := newExchange()
		if err != nil {
			t.Fatal(err)
		}
		if err := x.receive(ask("begin")); err != nil {
			t.Fatalf("round %d: gcr's first message: %v", i, err)
		}
		reply := ask(x.begin())
		if reply == "refused" {
			t.Fatalf("round %d: gcr refused our message", i)
		}
		pw, err := x.open(reply)
		if err != nil || string(pw) != "typed in gcr" {
			t.Fatalf("round %d (short shared secret: %v): password %q, %v", i, x.short, pw, err)
		}
		if x.short {
			short++
		}
	}
}
