package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/moneypenny-go/keyring"
)

// `moneypenny completion bash|zsh|fish`: completion scripts generated from
// the verb table, so a new verb, sub-verb or option completes as soon as its
// entry exists.
//
// Each script holds the table as lookup functions keyed by command path
// ("" for the top level, "store", "vault set"): the sub-verbs, the options,
// the options that take a value and the words offered for the first
// operand. A walker reads the words before the cursor as run does (options
// anywhere, "--" ends them, the first operand picks the (sub-)verb) and the
// current word is completed from that state.

func cmdCompletion(_ context.Context, c *cli, args []string) error {
	if len(args) != 1 {
		return usageError{"completion takes one shell: bash, zsh or fish"}
	}
	nodes, vals := completionNodes(c.table), optionValues(c.table)
	switch args[0] {
	case "bash":
		writeBashCompletion(c.io.stdout, nodes, vals)
	case "zsh":
		writeZshCompletion(c.io.stdout, nodes, vals)
	case "fish":
		writeFishCompletion(c.io.stdout, nodes, vals)
	default:
		return usageError{fmt.Sprintf("no completion for shell %q: bash, zsh or fish", args[0])}
	}
	return nil
}

// completionNode is what the shell needs to know at one command path.
type completionNode struct {
	path    string
	subs    []string
	opts    []string // every option accepted here, spelled --name
	valopts []string // those that take a value
	choices []string // offered for the first operand
}

// completionNodes walks the verb table.
func completionNodes(root []*command) []completionNode {
	var nodes []completionNode
	var walk func(path []*command, table []*command)
	walk = func(path []*command, table []*command) {
		fs := globalOptions()
		scratch := &cli{}
		for _, c := range path {
			if c.flags != nil {
				c.flags(fs, scratch)
			}
		}
		n := completionNode{path: pathName(path), subs: commandNames(table), opts: []string{"--help"}}
		fs.VisitAll(func(f *flag.Flag) {
			n.opts = append(n.opts, dashed(f.Name))
			if !isBool(f) {
				n.valopts = append(n.valopts, dashed(f.Name))
			}
		})
		if len(path) > 0 && path[len(path)-1].choices != nil {
			n.choices = path[len(path)-1].choices(root)
		}
		nodes = append(nodes, n)
		for _, c := range table {
			if !c.hidden {
				walk(append(path[:len(path):len(path)], c), c.subs)
			}
		}
	}
	walk(nil, root)
	return nodes
}

// filesValue in an option's value list means: complete file names.
const filesValue = "@files"

// optionValues are the words offered for the value of each option that
// takes one, by name; an option whose placeholder is PATH or FILE takes file
// names. Options not listed get nothing (an attribute value, a number).
func optionValues(root []*command) map[string][]string {
	vals := map[string][]string{
		"--backend": {keyring.SecretService, keyring.File, keyring.Keyctl, keyring.Keychain, keyring.CredentialManager},
	}
	add := func(fs *flag.FlagSet) {
		fs.VisitAll(func(f *flag.Flag) {
			if p, _ := flag.UnquoteUsage(f); p == "PATH" || p == "FILE" {
				vals[dashed(f.Name)] = []string{filesValue}
			}
		})
	}
	add(globalOptions())
	var walk func(path []*command, table []*command)
	walk = func(path []*command, table []*command) {
		for _, c := range table {
			p := append(path[:len(path):len(path)], c)
			add(verbOptions(p))
			walk(p, c.subs)
		}
	}
	walk(nil, root)
	return vals
}

// shQuote quotes s for sh, bash, zsh and fish alike.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shQuoteAll quotes each word, space-separated.
func shQuoteAll(words []string) string {
	quoted := make([]string, len(words))
	for i, s := range words {
		quoted[i] = shQuote(s)
	}
	return strings.Join(quoted, " ")
}

// writeShCase writes a function that sets REPLY to the words the table
// gives for $1 (a command path), for bash and zsh.
func writeShCase(w io.Writer, name string, nodes []completionNode, words func(completionNode) []string) {
	fmt.Fprintf(w, "%s() {\n\tcase $1 in\n", name)
	for _, n := range nodes {
		if ws := words(n); len(ws) > 0 {
			fmt.Fprintf(w, "\t%s) REPLY=%s ;;\n", shQuote(n.path), shQuote(strings.Join(ws, " ")))
		}
	}
	fmt.Fprintf(w, "\t*) REPLY= ;;\n\tesac\n}\n")
}

// writeShTables writes the table functions and the walker bash and zsh share.
func writeShTables(w io.Writer, nodes []completionNode, vals map[string][]string) {
	writeShCase(w, "_moneypenny_subs", nodes, func(n completionNode) []string { return n.subs })
	writeShCase(w, "_moneypenny_opts", nodes, func(n completionNode) []string { return n.opts })
	writeShCase(w, "_moneypenny_valopts", nodes, func(n completionNode) []string { return n.valopts })
	writeShCase(w, "_moneypenny_choices", nodes, func(n completionNode) []string { return n.choices })
	fmt.Fprintf(w, "_moneypenny_values() {\n\tcase $1 in\n")
	for _, opt := range sortedKeys(vals) {
		fmt.Fprintf(w, "\t%s) REPLY=%s ;;\n", shQuote(opt), shQuote(strings.Join(vals[opt], " ")))
	}
	fmt.Fprintf(w, "\t*) REPLY= ;;\n\tesac\n}\n")
	fmt.Fprint(w, shWalker)
}

// shWalker reads the words before the cursor ("$@") and sets, in its
// caller's scope: _mp_path (the command path), _mp_nops (operands seen),
// _mp_dd (a "--" was seen) and _mp_want (the option whose value the cursor
// is on, if any). bash splits --name=value into three words, "=" among
// them; zsh keeps one.
const shWalker = `_moneypenny_walk() {
	local w skip= prevw=
	_mp_path= _mp_nops=0 _mp_dd= _mp_want=
	for w in "$@"; do
		if [[ -n $_mp_dd ]]; then
			_mp_nops=$((_mp_nops + 1))
		elif [[ $w == '=' ]]; then
			skip=1
			[[ -z $_mp_want ]] && _mp_want=$prevw
		elif [[ -n $skip ]]; then
			skip= _mp_want=
		else
			case $w in
			--) _mp_dd=1 ;;
			-*=*) ;;
			-?*)
				_moneypenny_valopts "$_mp_path"
				if [[ " $REPLY " == *" $w "* ]]; then
					skip=1 _mp_want=$w
				fi
				;;
			*)
				_moneypenny_subs "$_mp_path"
				if [[ $_mp_nops -eq 0 && " $REPLY " == *" $w "* ]]; then
					_mp_path=${_mp_path:+$_mp_path }$w
				else
					_mp_nops=$((_mp_nops + 1))
				fi
				;;
			esac
		fi
		prevw=$w
	done
	[[ -n $skip ]] || _mp_want=
}
`

func writeBashCompletion(w io.Writer, nodes []completionNode, vals map[string][]string) {
	fmt.Fprint(w, "# bash completion for moneypenny; generated by `moneypenny completion bash`.\n"+
		"# Use: source <(moneypenny completion bash)\n")
	writeShTables(w, nodes, vals)
	// No mapfile: macOS still ships bash 3.2.
	fmt.Fprint(w, `_moneypenny_reply() {
	local l
	while IFS= read -r l; do
		COMPREPLY+=("$l")
	done
}
_moneypenny() {
	local REPLY _mp_path _mp_nops _mp_dd _mp_want
	local cur=${COMP_WORDS[COMP_CWORD]}
	local -a before=("${COMP_WORDS[@]:1:COMP_CWORD-1}")
	if [[ $cur == '=' ]]; then
		before+=('=')
		cur=
	fi
	_moneypenny_walk "${before[@]}"
	COMPREPLY=()
	if [[ -n $_mp_want ]]; then
		_moneypenny_values "$_mp_want"
		if [[ $REPLY == @files ]]; then
			compopt -o filenames 2>/dev/null
			_moneypenny_reply < <(compgen -f -- "$cur")
		else
			_moneypenny_reply < <(compgen -W "$REPLY" -- "$cur")
		fi
		return 0
	fi
	if [[ -z $_mp_dd && $cur == -* ]]; then
		_moneypenny_opts "$_mp_path"
		_moneypenny_reply < <(compgen -W "$REPLY" -- "$cur")
		return 0
	fi
	if [[ $_mp_nops -eq 0 ]]; then
		_moneypenny_subs "$_mp_path"
		[[ -n $REPLY ]] || _moneypenny_choices "$_mp_path"
		_moneypenny_reply < <(compgen -W "$REPLY" -- "$cur")
	fi
	return 0
}
complete -F _moneypenny moneypenny
`)
}

func writeZshCompletion(w io.Writer, nodes []completionNode, vals map[string][]string) {
	fmt.Fprint(w, "#compdef moneypenny\n"+
		"# zsh completion for moneypenny; generated by `moneypenny completion zsh`.\n"+
		"# Use: source <(moneypenny completion zsh), or save as _moneypenny in a directory of $fpath.\n")
	writeShTables(w, nodes, vals)
	fmt.Fprint(w, `_moneypenny() {
	local REPLY _mp_path _mp_nops _mp_dd _mp_want
	local cur=${words[CURRENT]}
	_moneypenny_walk "${(@)words[2,CURRENT-1]}"
	if [[ -z $_mp_want && -z $_mp_dd && $cur == -*=* ]]; then
		_mp_want=${cur%%=*}
		compset -P '*='
	fi
	if [[ -n $_mp_want ]]; then
		_moneypenny_values "$_mp_want"
		if [[ $REPLY == @files ]]; then
			_files
		else
			compadd -- ${=REPLY}
		fi
		return
	fi
	if [[ -z $_mp_dd && $cur == -* ]]; then
		_moneypenny_opts "$_mp_path"
		compadd -- ${=REPLY}
		return
	fi
	if (( _mp_nops == 0 )); then
		_moneypenny_subs "$_mp_path"
		[[ -n $REPLY ]] || _moneypenny_choices "$_mp_path"
		compadd -- ${=REPLY}
	fi
}
if [[ ${funcstack[1]} == _moneypenny ]]; then
	_moneypenny "$@"
else
	compdef _moneypenny moneypenny
fi
`)
}

func writeFishCompletion(w io.Writer, nodes []completionNode, vals map[string][]string) {
	fmt.Fprint(w, "# fish completion for moneypenny; generated by `moneypenny completion fish`.\n"+
		"# Use: moneypenny completion fish > ~/.config/fish/completions/moneypenny.fish\n")
	fishSwitch := func(name string, words func(completionNode) []string) {
		fmt.Fprintf(w, "function %s\n    switch \"$argv[1]\"\n", name)
		for _, n := range nodes {
			if ws := words(n); len(ws) > 0 {
				fmt.Fprintf(w, "        case %s\n            printf '%%s\\n' %s\n", shQuote(n.path), shQuoteAll(ws))
			}
		}
		fmt.Fprint(w, "    end\nend\n")
	}
	fishSwitch("__moneypenny_subs", func(n completionNode) []string { return n.subs })
	fishSwitch("__moneypenny_opts", func(n completionNode) []string { return n.opts })
	fishSwitch("__moneypenny_valopts", func(n completionNode) []string { return n.valopts })
	fishSwitch("__moneypenny_choices", func(n completionNode) []string { return n.choices })
	fmt.Fprint(w, "function __moneypenny_values\n    switch \"$argv[1]\"\n")
	for _, opt := range sortedKeys(vals) {
		fmt.Fprintf(w, "        case %s\n            printf '%%s\\n' %s\n", shQuote(opt), shQuoteAll(vals[opt]))
	}
	fmt.Fprint(w, "    end\nend\n")
	io.WriteString(w, `function __moneypenny_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l cur (commandline -ct)
    set -l path ''
    set -l nops 0
    set -l dd 0
    set -l want ''
    for w in $words
        if test $dd = 1
            set nops (math $nops + 1)
        else if test -n "$want"
            set want ''
        else
            switch $w
                case '--'
                    set dd 1
                case '-*=*'
                case '-?*'
                    if contains -- $w (__moneypenny_valopts $path)
                        set want $w
                    end
                case '*'
                    if test $nops = 0; and contains -- $w (__moneypenny_subs $path)
                        set path (string trim -- "$path $w")
                    else
                        set nops (math $nops + 1)
                    end
            end
        end
    end
    set -l prefix ''
    if test -z "$want"; and test $dd = 0; and string match -q -- '-*=*' $cur
        set want (string split -m 1 = -- $cur)[1]
        set prefix "$want="
        set cur (string split -m 1 = -- $cur)[2]
    end
    if test -n "$want"
        set -l vals (__moneypenny_values $want)
        if test "$vals" = '@files'
            for f in (__fish_complete_path $cur)
                printf '%s%s\n' $prefix $f
            end
        else
            for v in $vals
                printf '%s%s\n' $prefix $v
            end
        end
        return
    end
    if test $dd = 0; and string match -q -- '-*' $cur
        __moneypenny_opts $path
        return
    end
    if test $nops = 0
        set -l subs (__moneypenny_subs $path)
        if test (count $subs) -gt 0
            printf '%s\n' $subs
        else
            __moneypenny_choices $path
        end
    end
end
complete -c moneypenny -f -a "(__moneypenny_complete)"
`)
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
