package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// errHelp is returned by parseOptions when it meets --help or -h: the caller
// prints the help of the command being parsed and exits 0.
var errHelp = errors.New("help requested")

// parseOptions sets the options found in args on fs and returns the
// operands, in order. Options may come anywhere among the operands, as the
// usage promises (`lookup a b --backend file`); "--" ends the options, so an
// operand that starts with "-" (an attribute value such as -1) goes after
// it. An option is written -name or --name; its value follows as
// --name=value or as the next argument, except for a boolean option, which
// takes a value only as --name=false. "-" alone is an operand.
//
// With stopAtOperand, parsing stops at the first operand and returns it
// together with every argument after it, unparsed: the caller reads the verb
// (or sub-verb) name there, registers that command's own options on fs and
// parses the rest. Options of a verb are therefore known only after the
// verb, while the global options work before it as well.
//
// The flag package's own Parse is not used: it stops at the first operand,
// which is the trap this function exists to avoid.
func parseOptions(fs *flag.FlagSet, args []string, stopAtOperand bool) ([]string, error) {
	var operands []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			if stopAtOperand {
				// Whatever follows is operands only: the first is the
				// verb, and the "--" must still end the verb's options.
				if i+1 < len(args) {
					return append([]string{args[i+1], "--"}, args[i+2:]...), nil
				}
				return nil, nil
			}
			return append(operands, args[i+1:]...), nil
		}
		if len(arg) < 2 || arg[0] != '-' {
			if stopAtOperand {
				return args[i:], nil
			}
			operands = append(operands, arg)
			continue
		}
		name := strings.TrimPrefix(arg[1:], "-")
		value, hasValue := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = k, v, true
		}
		if name == "help" || name == "h" {
			return nil, errHelp
		}
		f := fs.Lookup(name)
		if name == "" || strings.HasPrefix(name, "-") || f == nil {
			return nil, usageError{fmt.Sprintf("unknown option %s (an operand that starts with - goes after --)", optionName(arg))}
		}
		if isBool(f) {
			if !hasValue {
				value = "true"
			}
		} else if !hasValue {
			if i+1 == len(args) {
				return nil, usageError{fmt.Sprintf("option --%s needs a value", name)}
			}
			i++
			value = args[i]
		}
		if err := fs.Set(name, value); err != nil {
			return nil, usageError{fmt.Sprintf("invalid value for --%s: %v", name, err)}
		}
	}
	if stopAtOperand {
		return nil, nil
	}
	return operands, nil
}

// optionName is arg without a value, for messages: the value of an unknown
// option may be anything, a password typed in the wrong place included.
func optionName(arg string) string {
	name, _, _ := strings.Cut(arg, "=")
	return name
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
