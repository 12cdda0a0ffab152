package main

import "strings"

// optString is the reference tool's getopt specification: a letter followed
// by ':' takes an argument. -D takes one too, as in the reference (where it
// swallows the next word), so scripts written for pledge.com parse the same.
const optString = "hnqkNVT:p:u:g:c:C:D:P:M:F:O:v:"

// option is one parsed flag; arg is empty for flags without an argument.
type option struct {
	name byte
	arg  string
}

// getopt splits args (without the program name) POSIX-style: flags may be
// grouped (-nq), an argument may be attached (-pstdio) or the next word,
// "--" ends the flags, and the first word that is not a flag starts the
// command, so the command's own flags are left alone. ok is false for an
// unknown flag or a missing argument, where the reference prints its usage.
func getopt(args []string) (opts []option, rest []string, bad string, ok bool) {
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			k := strings.IndexByte(optString, c)
			if c == ':' || k < 0 {
				return opts, nil, string([]byte{'-', c}), false
			}
			if k+1 >= len(optString) || optString[k+1] != ':' {
				opts = append(opts, option{name: c})
				continue
			}
			if j+1 < len(a) {
				opts = append(opts, option{name: c, arg: a[j+1:]})
			} else if i+1 < len(args) {
				i++
				opts = append(opts, option{name: c, arg: args[i]})
			} else {
				return opts, nil, string([]byte{'-', c}), false
			}
			break
		}
	}
	return opts, args[i:], "", true
}
