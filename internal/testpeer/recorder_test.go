package testpeer

import (
	"fmt"
	"testing"
)

// fatalRecorder stands in for a test to check that a helper refuses misuse:
// Fatal and Skip record the message and unwind with a panic the caller
// recovers, instead of ending the real test.
type fatalRecorder struct {
	testing.TB
	msg     string
	skipped bool
}

type unwind struct{}

func (r *fatalRecorder) Fatal(args ...any) { r.msg = fmt.Sprint(args...); panic(unwind{}) }
func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	panic(unwind{})
}
func (r *fatalRecorder) Skipf(format string, args ...any) {
	r.msg, r.skipped = fmt.Sprintf(format, args...), true
	panic(unwind{})
}
