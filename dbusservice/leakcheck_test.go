package dbusservice

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// recorder is a testing.TB that notes failures instead of failing, for tests
// of the test helpers themselves. Fatal ends the calling goroutine, as the
// real one does.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	msgs   []string
}

func (r *recorder) Helper() {}

func (r *recorder) fail(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.msgs = append(r.msgs, msg)
}

func (r *recorder) Errorf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.fail(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (r *recorder) Logf(string, ...any) {}

// run calls f with r in a goroutine of its own (so Fatalf can end it) and
// reports whether it failed.
func (r *recorder) run(f func(testing.TB)) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// TestMatchRuleCheckCannotPassBlind: noMatchRulesLeft must fail when the bus
// cannot tell how many match rules a connection holds (here: the connection
// is gone), and must still pass on a clean connection and fail on a leak.
func TestMatchRuleCheckCannotPassBlind(t *testing.T) {
	k := startKeyring(t, peerConfig{})
	s := k.connect()
	if (&recorder{TB: t}).run(func(tb testing.TB) { noMatchRulesLeft(tb, s) }) {
		t.Fatal("the check failed on a connection without match rules")
	}
	sub, err := s.subscribe(testCtx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !(&recorder{TB: t}).run(func(tb testing.TB) { noMatchRulesLeft(tb, s) }) {
		t.Fatal("the check passed with a subscription's match rule in place")
	}
	sub.close()
	_ = s.Close()
	r := &recorder{TB: t}
	if !r.run(func(tb testing.TB) { noMatchRulesLeft(tb, s) }) {
		t.Fatal("the check passed although the bus could not be asked")
	}
	t.Logf("blind check failed as it should: %v", r.msgs)
}
