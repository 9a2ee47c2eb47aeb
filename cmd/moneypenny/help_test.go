package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// TestHelp: --help, -h and help print the usage on stdout and exit 0;
// `help VERB` and `VERB --help` print the same synopsis, options and
// example for every verb; an unknown topic is a usage error.
func TestHelp(t *testing.T) {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"--backend", "file", "--help"}} {
		r := must(t, mp(t, env, "", args...), 0)
		if r.stderr != "" || !strings.HasPrefix(r.stdout, "usage: moneypenny store --label=LABEL attribute value ...\n") ||
			!strings.Contains(r.stdout, "moneypenny completion bash|zsh|fish") || !strings.Contains(r.stdout, "--password-fd N") {
			t.Errorf("%q: stdout %q stderr %q", args, r.stdout, r.stderr)
		}
	}
	for _, cmd := range commands() {
		if cmd.hidden {
			continue
		}
		viaHelp := must(t, mp(t, env, "", "help", cmd.name), 0)
		viaFlag := must(t, mp(t, env, "", cmd.name, "--help"), 0)
		operand := []string{cmd.name, "a", "-h"}
		if len(cmd.subs) > 0 {
			// The word after a verb with sub-verbs names a sub-verb.
			operand = []string{cmd.name, "-h"}
		}
		viaShort := must(t, mp(t, env, "", operand...), 0)
		if viaHelp.stdout != viaFlag.stdout || viaHelp.stdout != viaShort.stdout {
			t.Errorf("help %s, %s --help and %s a -h differ:\n%s\n---\n%s\n---\n%s", cmd.name, cmd.name, cmd.name,
				viaHelp.stdout, viaFlag.stdout, viaShort.stdout)
		}
		out := viaHelp.stdout
		wants := []string{"usage: moneypenny " + cmd.name, cmd.summary, "global options:", "--backend NAME", "example:\n  "}
		verbOptions([]*command{cmd}).VisitAll(func(f *flag.Flag) { wants = append(wants, dashed(f.Name)) })
		for _, want := range wants {
			if !strings.Contains(out, want) {
				t.Errorf("help %s lacks %q:\n%s", cmd.name, want, out)
			}
		}
	}
	for _, args := range [][]string{{"help", "nosuch"}, {"help", "store", "extra"}, {"help", portalSecretVerb}} {
		r := must(t, mp(t, env, "", args...), 2)
		if !strings.Contains(r.stderr, "no help for") || r.stdout != "" {
			t.Errorf("%q: %+v", args, r)
		}
	}
	r := must(t, mp(t, env, "", "--version"), 0)
	if !strings.HasPrefix(r.stdout, "moneypenny ") || len(strings.TrimSpace(r.stdout)) <= len("moneypenny ") {
		t.Fatalf("--version printed %q", r.stdout)
	}
	if got := must(t, mp(t, env, "", "lookup", "a", "b", "--version"), 0).stdout; got != r.stdout {
		t.Fatalf("--version after a verb printed %q", got)
	}
}

// TestVerbTableDocumented: every visible verb and sub-verb carries the help
// `help VERB` prints, runs or has sub-verbs (not both), and its options do
// not collide with the global ones (which would panic at parse time).
func TestVerbTableDocumented(t *testing.T) {
	seen := map[string]bool{}
	var check func(path []*command, table []*command)
	check = func(path []*command, table []*command) {
		for _, c := range table {
			p := append(path[:len(path):len(path)], c)
			name := pathName(p)
			if seen[name] {
				t.Errorf("%s: two entries", name)
			}
			seen[name] = true
			if c.run == nil && len(c.subs) == 0 || c.run != nil && len(c.subs) > 0 {
				t.Errorf("%s: needs either run or sub-verbs", name)
			}
			if c.hidden {
				continue
			}
			if c.summary == "" || !strings.Contains(c.example, "moneypenny ") || !strings.Contains(c.example+" ", " "+name+" ") {
				t.Errorf("%s: summary %q, example %q (must show moneypenny ... %s)", name, c.summary, c.example, name)
			}
			fs := globalOptions()
			scratch := &cli{}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s: an option collides: %v", name, r)
					}
				}()
				for _, pc := range p {
					if pc.flags != nil {
						pc.flags(fs, scratch)
					}
				}
			}()
			check(p, c.subs)
		}
	}
	check(nil, commands())
}

// TestCompletion: the generated scripts load in their shell and complete
// verbs, options (after the attributes too), option values and operands.
func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	script := func(shell string) string {
		p := filepath.Join(dir, "moneypenny."+shell)
		if err := os.WriteFile(p, []byte(must(t, mp(t, env, "", "completion", shell), 0).stdout), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if r := must(t, mp(t, env, "", "completion", "tcsh"), 2); !strings.Contains(r.stderr, "bash, zsh or fish") {
		t.Fatalf("completion tcsh: %q", r.stderr)
	}
	must(t, mp(t, env, "", "completion"), 2)

	type tc struct {
		line string // the command line; the last word is being completed
		want []string
		not  []string
	}
	cases := []tc{
		{line: "moneypenny ", want: []string{"store", "lookup", "help", "completion"}, not: []string{portalSecretVerb}},
		{line: "moneypenny st", want: []string{"store"}},
		{line: "moneypenny --backend ", want: []string{"file", "keyctl", "secret-service"}},
		{line: "moneypenny --backend file se", want: []string{"search"}},
		{line: "moneypenny search service s --a", want: []string{"--all", "--app-id"}},
		{line: "moneypenny store --la", want: []string{"--label"}},
		{line: "moneypenny help ", want: []string{"store", "diagnose"}},
		{line: "moneypenny completion ", want: []string{"bash", "zsh", "fish"}},
		{line: "moneypenny lookup service ", not: []string{"store", "--backend"}},
	}

	kfile := filepath.Join(dir, "k.keyring")
	if err := os.WriteFile(kfile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	fileCase := tc{line: "moneypenny lookup a b --keyring " + filepath.Join(dir, "k."), want: []string{kfile}}

	t.Run("bash", func(t *testing.T) {
		testpeer.Need(t, "bash")
		p := script("bash")
		out, err := exec.Command("bash", "-c", "source <(cat "+p+") && complete -p moneypenny").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "complete -F _moneypenny moneypenny" {
			t.Fatalf("complete -p moneypenny: %v: %s", err, out)
		}
		for _, c := range append(cases, fileCase, tc{line: "moneypenny --backend=f", want: []string{"file"}}) {
			// COMP_WORDS as bash splits the line (at "=" too).
			words := strings.Fields(strings.ReplaceAll(c.line, "=", " = "))
			if strings.HasSuffix(c.line, " ") {
				words = append(words, "")
			}
			prog := "source " + p + "\nCOMP_WORDS=(" + shQuoteAll(words) + ")\nCOMP_CWORD=$((${#COMP_WORDS[@]}-1))\n_moneypenny\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
			out, err := exec.Command("bash", "-c", prog).CombinedOutput()
			checkCompletion(t, c.line, string(out), err, c.want, c.not)
		}
	})
	t.Run("zsh", func(t *testing.T) {
		testpeer.Need(t, "zsh")
		p := script("zsh")
		if out, err := exec.Command("zsh", "-n", p).CombinedOutput(); err != nil {
			t.Fatalf("zsh -n: %v: %s", err, out)
		}
		out, err := exec.Command("zsh", "-fc", "autoload -U compinit && compinit -u -D && source "+p+" && print -r -- $_comps[moneypenny]").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "_moneypenny" {
			t.Fatalf("compdef: %v: %s", err, out)
		}
		// compadd and _files only work inside a completion widget: stand-ins
		// print what they were given.
		for _, c := range append(cases, tc{line: "moneypenny --backend=", want: []string{"file"}},
			tc{line: "moneypenny lookup a b --keyring ", want: []string{"FILES"}}) {
			words := strings.Fields(c.line)
			if strings.HasSuffix(c.line, " ") {
				words = append(words, "")
			}
			prog := "autoload -U compinit && compinit -u -D\nsource " + p + "\n" +
				"compadd() { [[ $1 == -- ]] && shift; print -rl -- \"$@\"; }\n_files() { print -r -- FILES; }\ncompset() { :; }\n" +
				"words=(" + shQuoteAll(words) + ")\nCURRENT=${#words}\n_moneypenny\n"
			out, err := exec.Command("zsh", "-fc", prog).CombinedOutput()
			// zsh filters by the prefix itself; keep what matches.
			prefix := words[len(words)-1]
			if _, v, ok := strings.Cut(prefix, "="); ok {
				prefix = v // what compset -P '*=' leaves
			}
			checkCompletion(t, c.line, filterPrefix(string(out), prefix), err, c.want, c.not)
		}
	})
	t.Run("fish", func(t *testing.T) {
		testpeer.Need(t, "fish")
		p := script("fish")
		if out, err := exec.Command("fish", "-n", p).CombinedOutput(); err != nil {
			t.Fatalf("fish -n: %v: %s", err, out)
		}
		for _, c := range append(cases, fileCase, tc{line: "moneypenny --backend=f", want: []string{"--backend=file"}}) {
			out, err := exec.Command("fish", "--no-config", "-c", "source "+p+"; complete -C"+shQuote(c.line)).CombinedOutput()
			var words []string
			for _, l := range strings.Split(string(out), "\n") {
				w, _, _ := strings.Cut(l, "\t") // fish appends descriptions after a tab
				words = append(words, w)
			}
			checkCompletion(t, c.line, strings.Join(words, "\n"), err, c.want, c.not)
		}
	})
}

func filterPrefix(out, prefix string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func checkCompletion(t *testing.T, line, out string, err error, want, not []string) {
	t.Helper()
	got := strings.Fields(out)
	if err != nil {
		t.Errorf("%q: %v: %s", line, err, out)
		return
	}
	for _, w := range want {
		if !contains(got, w) {
			t.Errorf("%q completes to %q, lacks %q", line, got, w)
		}
	}
	for _, w := range not {
		if contains(got, w) {
			t.Errorf("%q completes to %q, must not offer %q", line, got, w)
		}
	}
}
