package dbuswire_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dbuswire"
	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// hello authenticates on a fresh bus connection, calls Hello and returns the
// unique name the bus gave, read with ReadFrame, ParseHeader and a Decoder.
func hello(t *testing.T, conn net.Conn) string {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	uid := hex.EncodeToString([]byte(strconv.Itoa(os.Getuid())))
	if _, err := fmt.Fprintf(conn, "\x00AUTH EXTERNAL %s\r\n", uid); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "OK ") {
		t.Fatalf("AUTH: %q, %v", line, err)
	}
	if _, err := conn.Write([]byte("BEGIN\r\n")); err != nil {
		t.Fatal(err)
	}
	msg := &dbus.Message{Type: dbus.TypeMethodCall, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldPath:        dbus.MakeVariant(dbus.ObjectPath("/org/freedesktop/DBus")),
		dbus.FieldInterface:   dbus.MakeVariant("org.freedesktop.DBus"),
		dbus.FieldMember:      dbus.MakeVariant("Hello"),
		dbus.FieldDestination: dbus.MakeVariant("org.freedesktop.DBus"),
	}}
	var b bytes.Buffer
	if err := msg.EncodeTo(&b, binary.LittleEndian); err != nil {
		t.Fatal(err)
	}
	frame := b.Bytes()
	binary.LittleEndian.PutUint32(frame[8:], 1) // the serial
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	reply, err := dbuswire.ReadFrame(br, nil)
	if err != nil {
		t.Fatalf("reading the reply to Hello: %v", err)
	}
	h, err := dbuswire.ParseHeader(reply)
	if err != nil {
		t.Fatalf("the reply to Hello: %v", err)
	}
	if h.Type != dbuswire.TypeMethodReturn || h.ReplySerial != 1 || h.Signature != "s" || h.Sender != "org.freedesktop.DBus" {
		t.Fatalf("the reply to Hello: %+v", h)
	}
	d := dbuswire.NewDecoder(h, reply)
	name, err := d.String()
	if err != nil || d.Done() != nil || !strings.HasPrefix(name, ":") || h.Destination != name {
		t.Fatalf("Hello returned %q (destination %q), %v", name, h.Destination, err)
	}
	return name
}

// TestDialBus dials a real dbus-daemon on unix:path= and talks to it.
func TestDialBus(t *testing.T) {
	bus := testpeer.NewBus(t)
	if !strings.HasPrefix(bus.Address, "unix:path=") || !strings.Contains(bus.Address, "guid=") {
		t.Logf("the bus address is %q", bus.Address)
	}
	conn, err := dbuswire.Dial(bus.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hello(t, conn)
}

// TestDialAbstract dials a real dbus-daemon on a Linux abstract socket.
func TestDialAbstract(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract sockets are Linux's")
	}
	daemon := testpeer.Need(t, "dbus-daemon")[0]
	name := fmt.Sprintf("/tmp/mp-wire-%d-%d", os.Getpid(), time.Now().UnixNano())
	cmd := exec.Command(daemon, "--session", "--nofork", "--nosyslog", "--print-address=1", "--address=unix:abstract="+name)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	var printed string
	select {
	case printed = <-addr:
	case <-time.After(10 * time.Second):
		t.Fatal("dbus-daemon printed no address")
	}
	if !strings.HasPrefix(printed, "unix:abstract=") {
		t.Fatalf("dbus-daemon listens on %q", printed)
	}
	conn, err := dbuswire.Dial(printed)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hello(t, conn)
	// The same socket with its name percent-escaped, after a failing
	// alternative.
	escaped := strings.ReplaceAll(name, "/", "%2f")
	conn2, err := dbuswire.Dial("unix:path=/nonexistent/mp-wire;unix:abstract=" + escaped + ",guid=00")
	if err != nil {
		t.Fatal(err)
	}
	conn2.Close()
}

// accepted reports whether l accepts a connection within a few seconds.
func accepted(t *testing.T, l net.Listener) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the listener accepted nothing")
	}
}

// TestDialAddresses dials listeners through the address forms of the
// specification.
func TestDialAddresses(t *testing.T) {
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	port := strconv.Itoa(tcp.Addr().(*net.TCPAddr).Port)

	// A socket path with a space, a comma, a semicolon and a '%', all
	// percent-escaped in the address.
	dir, err := os.MkdirTemp("", "mp w,;%")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "s")
	unix, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close()
	esc := strings.NewReplacer(" ", "%20", ",", "%2C", ";", "%3b", "%", "%25").Replace(sock)

	for _, c := range []struct {
		addr string
		l    net.Listener
	}{
		{"tcp:host=127.0.0.1,port=" + port, tcp},
		{"tcp:host=127.0.0.1,port=" + port + ",family=ipv4,guid=abc", tcp},
		{"tcp:port=" + port + ",family=ipv4", tcp}, // host defaults to localhost
		{"tcp:host=%31%32%37.0.0.1,port=" + port, tcp},
		{"unix:path=" + esc, unix},
		{"unix:path=" + esc + ";", unix},
		{"unix:path=/nonexistent/mp-wire;tcp:host=127.0.0.1,port=" + port, tcp},
		{"autolaunch:;unixexec:path=/bin/true;unix:path=" + esc, unix},
		{"tcp:host=127.0.0.1,port=1;unix:guid=1,path=" + esc, unix},
	} {
		conn, err := dbuswire.Dial(c.addr)
		if err != nil {
			t.Errorf("%s: %v", c.addr, err)
			continue
		}
		accepted(t, c.l)
		conn.Close()
	}

	if runtime.GOOS == "linux" {
		name := fmt.Sprintf("mp-wire-%d-%d", os.Getpid(), time.Now().UnixNano())
		abs, err := net.Listen("unix", "@"+name)
		if err != nil {
			t.Fatal(err)
		}
		defer abs.Close()
		conn, err := dbuswire.Dial("unix:abstract=" + name)
		if err != nil {
			t.Fatal(err)
		}
		accepted(t, abs)
		conn.Close()
	}

	if tcp6, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		defer tcp6.Close()
		p6 := strconv.Itoa(tcp6.Addr().(*net.TCPAddr).Port)
		conn, err := dbuswire.Dial("tcp:host=::1,port=" + p6 + ",family=ipv6")
		if err != nil {
			t.Fatal(err)
		}
		accepted(t, tcp6)
		conn.Close()
		// family=ipv4 must not reach an IPv6-only address.
		if conn, err := dbuswire.Dial("tcp:host=::1,port=" + p6 + ",family=ipv4"); err == nil {
			conn.Close()
			t.Error("family=ipv4 connected to ::1")
		}
	} else {
		t.Logf("no IPv6 loopback: %v", err)
	}
}

// TestDialRejects checks the addresses Dial refuses, and that the
// unsupported ones say so with ErrUnsupportedAddress.
func TestDialRejects(t *testing.T) {
	for _, addr := range []string{
		"unixexec:path=/bin/true",
		"launchd:env=DBUS_LAUNCHD_SESSION_BUS_SOCKET",
		"autolaunch:",
		"autolaunch:scope=*user",
		"nonce-tcp:host=127.0.0.1,port=1,noncefile=/tmp/n",
		"systemd:",
		"unix:dir=/tmp",
		"unix:tmpdir=/tmp",
		"unix:runtime=yes",
		"unix:path=/nonexistent/mp-wire;autolaunch:",
	} {
		_, err := dbuswire.Dial(addr)
		if !errors.Is(err, dbuswire.ErrUnsupportedAddress) {
			t.Errorf("%s: %v, want ErrUnsupportedAddress", addr, err)
		}
	}
	for _, addr := range []string{
		"",
		";",
		"nocolon",
		":path=/x",
		"unix:",
		"unix:path",
		"unix:path=",
		"unix:=x",
		"unix:path=/a,path=/b",
		"unix:path=/a,abstract=b",
		"unix:abstract=",
		"unix:path=%zz",
		"unix:path=/a%4",
		"tcp:host=127.0.0.1",
		"tcp:host=127.0.0.1,port=0",
		"tcp:host=127.0.0.1,port=1,family=ipx",
		"unix:path=/nonexistent/mp-wire",
	} {
		conn, err := dbuswire.Dial(addr)
		if err == nil {
			conn.Close()
			t.Errorf("%q: connected", addr)
		} else if errors.Is(err, dbuswire.ErrUnsupportedAddress) {
			t.Errorf("%q: %v, a bad address is not an unsupported one", addr, err)
		}
	}
	// Every alternative's failure is in the error.
	_, err := dbuswire.Dial("unix:path=/nonexistent/mp-wire-1;unix:path=/nonexistent/mp-wire-2")
	if err == nil || !strings.Contains(err.Error(), "mp-wire-1") || !strings.Contains(err.Error(), "mp-wire-2") {
		t.Errorf("two failing alternatives: %v", err)
	}

	// A cancelled context stops the dial.
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	if conn, err := dbuswire.DialContext(ctx, "tcp:host=127.0.0.1,port="+port); err == nil {
		conn.Close()
		t.Error("dialled with a cancelled context")
	} else if !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled context: %v", err)
	}
}
