package main

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Most of the daemon's resident memory right after it starts is not its
// data but the pages of its own executable: the runtime's start-up and the
// init functions of every package linked into the CLI (pgx, net/http, the
// vault engines, x509, …) touch code and read-only data all over the
// binary, and the kernel maps each touched page with its neighbours (fault
// around, 64 KiB). With a 1,000-item keyring unlocked that was 9 of the
// 13 MB resident; the decrypted keyring itself is under 1 MB of heap.
//
// Those pages are clean copies of the file: the kernel never writes them
// to swap, it drops them and reads them again. So harden does not lock them
// (lockCurrent), and once the start-up burst is over releaseFilePages drops
// them from the page tables. The pages stay in the page cache; those the
// daemon still runs come back on first use at the cost of a minor fault,
// those only the start-up ran (most) stay out.

// releaseFilePages unmaps the pages of every private, read-only mapping of
// a file that holds no page of its own (Anonymous: 0 in smaps): the
// executable's code, its read-only data and those of the C library when
// cgo links one. A mapping with anonymous pages (relocated data that the
// dynamic loader wrote before making it read-only) is left alone: dropping
// those pages would bring back the file's unrelocated bytes. It returns how
// many KiB were resident in the mappings it released.
func releaseFilePages() int {
	var kib int
	for _, m := range fileMappings() {
		if m.anon != 0 || m.rss == 0 {
			continue
		}
		// A locked mapping refuses (EINVAL) and keeps its pages.
		if _, _, e := unix.Syscall(unix.SYS_MADVISE, m.lo, m.hi-m.lo, unix.MADV_DONTNEED); e == 0 {
			kib += m.rss
		}
	}
	return kib
}

// mapping is one line of /proc/self/smaps with the fields we need.
type mapping struct {
	lo, hi    uintptr
	path      string
	rss, anon int // KiB
}

// fileMappings returns the private, read-only file mappings of this
// process, from /proc/self/smaps; nil if it cannot be read.
func fileMappings() []mapping {
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return nil
	}
	var out []mapping
	var cur *mapping
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		line := s.Text()
		if m, ok := parseMapsLine(line); ok {
			cur = nil
			if m != nil {
				out = append(out, *m)
				cur = &out[len(out)-1]
			}
			continue
		}
		if cur == nil {
			continue
		}
		if v, ok := strings.CutPrefix(line, "Rss:"); ok {
			cur.rss = kibField(v)
		} else if v, ok := strings.CutPrefix(line, "Anonymous:"); ok {
			cur.anon = kibField(v)
		}
	}
	return out
}

// parseMapsLine reads a mapping's header line ("lo-hi perms offset dev
// inode path"). ok is false for the lines that follow it; m is nil for a
// mapping that is not a private, read-only mapping of a file.
func parseMapsLine(line string) (m *mapping, ok bool) {
	f := strings.Fields(line)
	if len(f) < 5 || strings.HasSuffix(f[0], ":") {
		return nil, false
	}
	lo, hi, found := strings.Cut(f[0], "-")
	if !found {
		return nil, false
	}
	l, err1 := strconv.ParseUint(lo, 16, 64)
	h, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil {
		return nil, false
	}
	perms := f[1]
	if len(f) < 6 || f[4] == "0" || !strings.HasPrefix(f[5], "/") ||
		len(perms) != 4 || perms[0] != 'r' || perms[1] != '-' || perms[3] != 'p' {
		return nil, true
	}
	return &mapping{lo: uintptr(l), hi: uintptr(h), path: strings.Join(f[5:], " ")}, true
}

func kibField(v string) int {
	f := strings.Fields(v)
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(f[0])
	return n
}
