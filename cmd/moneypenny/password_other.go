//go:build !linux && !darwin

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	"golang.org/x/term"
)

// readPasswordFD reads one line from the descriptor, bounded by ctx. The
// read runs on its own goroutine, which a cancelled context leaves blocked
// until the process exits. 0, 1 and 2 are the process's own standard files
// (on Windows their handles are not those numbers), which stay open; another
// descriptor is closed once read, as nothing else uses it.
func readPasswordFD(ctx context.Context, fd int) ([]byte, error) {
	var f *os.File
	switch fd {
	case 0:
		f = os.Stdin
	case 1:
		f = os.Stdout
	case 2:
		f = os.Stderr
	default:
		if f = os.NewFile(uintptr(fd), "password-fd"); f == nil {
			return nil, fmt.Errorf("descriptor %d is not open", fd)
		}
	}
	done := func() {
		if fd > 2 {
			f.Close()
		}
	}
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var buf []byte
		var one [1]byte
		for len(buf) <= maxPasswordLen {
			n, err := f.Read(one[:])
			if n == 0 || err != nil || one[0] == '\n' {
				if err == io.EOF {
					err = nil
				}
				done()
				ch <- result{trimCR(buf), err}
				return
			}
			buf = append(buf, one[0])
		}
		done()
		ch <- result{nil, fmt.Errorf("no end of line within %d bytes", maxPasswordLen)}
	}()
	select {
	case r := <-ch:
		return r.b, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// readHidden prints prompt to out and reads a line from the terminal in
// with echo off, restoring the terminal on the line, the context's end and
// promptSignals.
func readHidden(ctx context.Context, in *os.File, out io.Writer, prompt string) ([]byte, error) {
	fd := int(in.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return nil, fmt.Errorf("read password: %w", err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, promptSignals...)
	defer signal.Stop(sigs)
	fmt.Fprint(out, prompt)
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		ch <- result{b, err}
	}()
	select {
	case r := <-ch:
		fmt.Fprintln(out)
		return r.b, r.err
	case s := <-sigs:
		_ = term.Restore(fd, state)
		fmt.Fprintln(out)
		return nil, interruptedError{s}
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		fmt.Fprintln(out)
		return nil, ctx.Err()
	}
}
