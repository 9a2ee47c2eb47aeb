// Package sxaes reads and writes the messages of gcr's secret exchange
// ("sx-aes-1"): the GKeyFile group in which gcr's system prompter and the
// program that asked for a password (gnome-keyring, or moneypenny serve
// through internal/gcrprompt) pass their DH public values and the encrypted
// password. The prompter side in internal/testpeer uses the same code, so
// the two sides cannot drift apart.
package sxaes

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

const (
	// protocol is the GKeyFile group the exchange's fields live in.
	protocol = "sx-aes-1"

	// Prime1536 is the exchange's DH group, RFC 3526's 1536-bit MODP prime
	// (generator 2), in hex.
	Prime1536 = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
		"29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
		"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
		"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D" +
		"C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
		"83655D23DCA3AD961C62F356208552BB9ED529077096966D" +
		"670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF"
)

// Parse reads the [sx-aes-1] group of a GKeyFile, one side's message
// of gcr's secret exchange: blank lines and # comments are skipped, other
// groups ignored, and a message without a public value is refused.
func Parse(msg string) (map[string][]byte, error) {
	fields := map[string][]byte{}
	group := ""
	s := bufio.NewScanner(strings.NewReader(msg))
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			group = line[1 : len(line)-1]
		case group == protocol:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, errors.New("sx-aes-1: malformed exchange")
			}
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("sx-aes-1: %s is not base64", strings.TrimSpace(k))
			}
			fields[strings.TrimSpace(k)] = b
		}
	}
	if len(fields["public"]) == 0 {
		return nil, errors.New("sx-aes-1: the exchange has no public value")
	}
	return fields, nil
}

// Format writes a secret-exchange message: the [sx-aes-1] group with
// the public, secret and iv fields that are present, in that order.
func Format(fields map[string][]byte) string {
	var sb strings.Builder
	sb.WriteString("[" + protocol + "]\n")
	for _, k := range []string{"public", "secret", "iv"} {
		if v, ok := fields[k]; ok {
			sb.WriteString(k + "=" + base64.StdEncoding.EncodeToString(v) + "\n")
		}
	}
	return sb.String()
}
