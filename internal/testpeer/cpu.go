package testpeer

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ProcessCPU is the CPU time all threads of process pid have used so far,
// from the scheduler's per-thread nanosecond counters (/proc/PID/task/TID/
// schedstat), which are finer than the clock ticks of /proc/PID/stat.
// Benchmarks put a peer's CPU beside this project's with it.
func ProcessCPU(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		tb.Fatal(err)
	}
	var total time.Duration
	for _, t := range tasks {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue // the thread has exited; its time is lost to both sides
		}
		fields := strings.Fields(string(data))
		if len(fields) == 0 {
			tb.Fatalf("schedstat %q", data)
		}
		ns, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			tb.Fatalf("schedstat %q", data)
		}
		total += time.Duration(ns)
	}
	return total
}
