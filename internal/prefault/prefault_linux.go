package prefault

import "golang.org/x/sys/unix"

const pageSize = 4096

// populate asks the kernel to map [p, p+n) writable. madvise wants a
// page-aligned start; widening the range to whole pages only reaches
// memory of the same heap mapping, which the advice does not modify.
func populate(p, n uintptr) {
	start := p &^ (pageSize - 1)
	end := (p + n + pageSize - 1) &^ (pageSize - 1)
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, start, end-start, unix.MADV_POPULATE_WRITE)
}
