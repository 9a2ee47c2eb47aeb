package dbuswire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// ErrUnsupportedAddress reports a D-Bus address whose transport Dial does
// not connect to: one that needs more than a socket (unixexec, launchd,
// autolaunch, nonce-tcp, systemd) or that only a server can listen on
// (unix:dir=, unix:tmpdir=, unix:runtime=). A caller can fall back to
// godbus's own dialing.
var ErrUnsupportedAddress = errors.New("dbuswire: unsupported D-Bus address")

// errBadAddress reports an address that breaks the syntax of the
// specification's "Server Addresses".
var errBadAddress = errors.New("dbuswire: invalid D-Bus address")

// Dial connects to a D-Bus server address as the specification's "Server
// Addresses" describe it. It is DialContext without a deadline.
func Dial(address string) (net.Conn, error) {
	return DialContext(context.Background(), address)
}

// DialContext connects to the first alternative of a ';'-separated D-Bus
// address that answers, trying them in order: unix:path=, unix:abstract=
// (a Linux abstract socket) and tcp:host=,port=[,family=ipv4|ipv6]. Values
// are percent-unescaped; guid= and other unknown keys are ignored. If every
// alternative fails, the error joins each one's; it wraps
// ErrUnsupportedAddress if one of them names a transport Dial does not
// support, so that the caller can hand the address to a fuller client.
//
// It only connects: the authentication handshake is the caller's.
func DialContext(ctx context.Context, address string) (net.Conn, error) {
	if address == "" {
		return nil, fmt.Errorf("%w: empty address", errBadAddress)
	}
	var errs []error
	for alt := range strings.SplitSeq(address, ";") {
		if alt == "" {
			continue // the specification allows a trailing ';'
		}
		network, addr, err := resolve(alt)
		if err == nil {
			var d net.Dialer
			var conn net.Conn
			if conn, err = d.DialContext(ctx, network, addr); err == nil {
				return conn, nil
			}
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("%w: %q has no alternatives", errBadAddress, address)
	}
	if len(errs) == 1 {
		return nil, errs[0]
	}
	return nil, errors.Join(errs...)
}

// resolve turns one alternative into the arguments of net.Dial.
func resolve(alt string) (network, addr string, err error) {
	transport, rest, ok := strings.Cut(alt, ":")
	if !ok || transport == "" {
		return "", "", fmt.Errorf("%w: %q has no transport", errBadAddress, alt)
	}
	kv, err := parseKeys(alt, rest)
	if err != nil {
		return "", "", err
	}
	switch transport {
	case "unix":
		path, hasPath := kv["path"]
		abstract, hasAbstract := kv["abstract"]
		switch {
		case hasPath && hasAbstract:
			return "", "", fmt.Errorf("%w: %q has both path and abstract", errBadAddress, alt)
		case hasPath:
			if path == "" {
				return "", "", fmt.Errorf("%w: %q has an empty path", errBadAddress, alt)
			}
			return "unix", path, nil
		case hasAbstract:
			if abstract == "" {
				return "", "", fmt.Errorf("%w: %q has an empty abstract name", errBadAddress, alt)
			}
			// Go names a Linux abstract socket by a leading '@'.
			return "unix", "@" + abstract, nil
		}
		for _, k := range []string{"dir", "tmpdir", "runtime"} {
			if _, ok := kv[k]; ok {
				return "", "", fmt.Errorf("%w: %q: unix:%s= is for servers to listen on", ErrUnsupportedAddress, alt, k)
			}
		}
		return "", "", fmt.Errorf("%w: %q has neither path nor abstract", errBadAddress, alt)
	case "tcp":
		network := "tcp"
		switch kv["family"] {
		case "":
		case "ipv4":
			network = "tcp4"
		case "ipv6":
			network = "tcp6"
		default:
			return "", "", fmt.Errorf("%w: %q has the family %q", errBadAddress, alt, kv["family"])
		}
		host, port := kv["host"], kv["port"]
		if host == "" {
			host = "localhost" // libdbus's default for a client
		}
		if port == "" || port == "0" {
			return "", "", fmt.Errorf("%w: %q names no port to connect to", errBadAddress, alt)
		}
		return network, net.JoinHostPort(host, port), nil
	}
	return "", "", fmt.Errorf("%w: %q: the transport %q is not a plain socket connection", ErrUnsupportedAddress, alt, transport)
}

// parseKeys parses the comma-separated key=value pairs of one alternative.
func parseKeys(alt, rest string) (map[string]string, error) {
	kv := make(map[string]string)
	if rest == "" {
		return kv, nil
	}
	for pair := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: %q has the malformed pair %q", errBadAddress, alt, pair)
		}
		if _, dup := kv[k]; dup {
			return nil, fmt.Errorf("%w: %q has the key %q twice", errBadAddress, alt, k)
		}
		u, err := unescape(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", errBadAddress, alt, err)
		}
		kv[k] = u
	}
	return kv, nil
}

// unescape undoes the percent-escaping of an address value.
func unescape(v string) (string, error) {
	if strings.IndexByte(v, '%') < 0 {
		return v, nil
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			b.WriteByte(v[i])
			continue
		}
		if i+2 >= len(v) {
			return "", fmt.Errorf("truncated escape in %q", v)
		}
		hi, ok1 := unhex(v[i+1])
		lo, ok2 := unhex(v[i+2])
		if !ok1 || !ok2 {
			return "", fmt.Errorf("bad escape %q", v[i:i+3])
		}
		b.WriteByte(hi<<4 | lo)
		i += 2
	}
	return b.String(), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
