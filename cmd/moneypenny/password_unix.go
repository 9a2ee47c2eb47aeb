//go:build linux || darwin

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"golang.org/x/sys/unix"

	"github.com/moneypenny-go/keyring/secret"
)

// pollInterval is how often a blocked read looks at its context. Waking a
// few times a second while a person types costs nothing and needs no
// second descriptor to interrupt the poll with.
const pollInterval = 100 * time.Millisecond

// readPasswordFD reads one line (without its newline) from descriptor fd,
// giving up when ctx ends. It reads a byte at a time so that nothing after
// the line is consumed: with --password-fd 0 the rest of stdin is the secret
// to store. fd is never closed, so 0, 1 and 2 stay usable.
func readPasswordFD(ctx context.Context, fd int) ([]byte, error) {
	return readLine(ctx, fd)
}

// readLine reads up to a newline or end of file from fd, bounded by ctx and
// by maxPasswordLen. A trailing "\r" before the newline is dropped.
func readLine(ctx context.Context, fd int) ([]byte, error) {
	buf := make([]byte, 0, 256)
	grow := func(c byte) {
		if len(buf) == cap(buf) {
			bigger := make([]byte, len(buf), 2*cap(buf))
			copy(bigger, buf)
			secret.Wipe(buf)
			buf = bigger
		}
		buf = append(buf, c)
	}
	var one [1]byte
	for {
		if err := context.Cause(ctx); err != nil {
			secret.Wipe(buf)
			return nil, err
		}
		wait := pollInterval
		if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
			wait = max(time.Until(d), time.Millisecond)
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(wait/time.Millisecond))
		if errors.Is(err, unix.EINTR) || (err == nil && n == 0) {
			continue
		}
		if err != nil {
			secret.Wipe(buf)
			return nil, err
		}
		if fds[0].Revents&unix.POLLNVAL != 0 {
			secret.Wipe(buf)
			return nil, fmt.Errorf("descriptor %d is not open", fd)
		}
		// Readable, at end of file or in error: the read tells which.
		r, err := unix.Read(fd, one[:])
		switch {
		case errors.Is(err, unix.EINTR), errors.Is(err, unix.EAGAIN):
			continue
		case errors.Is(err, unix.EBADF):
			secret.Wipe(buf)
			return nil, fmt.Errorf("descriptor %d is not open", fd)
		case err != nil:
			secret.Wipe(buf)
			return nil, err
		case r == 0 || one[0] == '\n':
			if n := len(buf); r == 1 && n > 0 && buf[n-1] == '\r' {
				buf = buf[:n-1]
			}
			return buf, nil
		}
		if len(buf) == maxPasswordLen {
			secret.Wipe(buf)
			return nil, fmt.Errorf("no end of line within %d bytes", maxPasswordLen)
		}
		grow(one[0])
	}
}

// readHidden prints prompt to out and reads a line from the terminal in
// with echo off. Echo goes off here, before the read starts, and comes back
// on every way out: the line, end of file, the context's end (--timeout),
// and the signals a user sends from the keyboard or a session sends at
// logout (promptSignals), which end the read with an interruptedError.
func readHidden(ctx context.Context, in *os.File, out io.Writer, prompt string) ([]byte, error) {
	fd := int(in.Fd())
	saved, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, fmt.Errorf("read password: %w", err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, promptSignals...)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case s := <-sigs:
			cancel(interruptedError{s})
		case <-ctx.Done():
		}
	}()
	hidden := *saved
	hidden.Lflag &^= unix.ECHO
	hidden.Lflag |= unix.ICANON | unix.ISIG // Ctrl-C and Ctrl-\ still signal
	hidden.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &hidden); err != nil {
		return nil, fmt.Errorf("read password: turn echo off: %w", err)
	}
	defer unix.IoctlSetTermios(fd, ioctlSetTermios, saved)
	fmt.Fprint(out, prompt)
	b, err := readLine(ctx, fd)
	fmt.Fprintln(out)
	if err != nil {
		return nil, fmt.Errorf("read password: %w", err)
	}
	return b, nil
}
