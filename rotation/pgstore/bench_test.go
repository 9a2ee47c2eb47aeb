package pgstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/rotation"
)

// BenchmarkPropagation measures, in one run against one database, the
// time from a rotation's commit to the moment every one of 3 syncer
// processes holds the new version: 3 syncers with LISTEN/NOTIFY and 3 that
// only poll every 5 s (the reference design), all watching the same
// rotations. Rotations are forced (RotateNow, as `moneypenny rotation
// rotate` does), at random moments, so the syncers' look-when-due shortcut
// does not help the polling ones. Reported: p50 and p99 of each, and their ratio.
//
//	go test -run '^$' -bench Propagation -benchtime 20x ./rotation/pgstore/
func BenchmarkPropagation(b *testing.B) {
	pg := testpeer.StartPostgres(b)
	ctx := context.Background()
	st, err := Open(ctx, pg.URL)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const group = "propagation"
	if _, _, err := rotation.CreateGroup(ctx, st, testEncryptor(b), rotation.GroupConfig{Name: group, Interval: 24 * time.Hour}); err != nil {
		b.Fatal(err)
	}
	var push, poll []*helper
	for i := 0; i < 3; i++ {
		push = append(push, startHelper(b, pg, "syncer", group))
		poll = append(poll, startHelper(b, pg, "syncer", group, "ROTATION_PUSH=off"))
	}
	for _, h := range append(append([]*helper{}, push...), poll...) {
		h.expect("started", 30*time.Second)
	}
	time.Sleep(300 * time.Millisecond) // LISTEN is issued after the start
	rot := &rotation.Rotator{Storage: st, Encryptor: testEncryptor(b), Group: group}
	var pushLat, pollLat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// A random pause, so that rotations do not fall in step with
		// the pollers (each would then wait the full 5 s).
		time.Sleep(time.Duration(rand.Int64N(int64(5 * time.Second))))
		res, err := rot.RotateNow(ctx)
		if err != nil {
			b.Fatal(err)
		}
		// res.Now is the server's clock just before the commit (same
		// machine, same clock as the helpers'): the latencies below
		// include the commit itself.
		pushLat = append(pushLat, slowest(b, push, res.Latest, res.Now))
		pollLat = append(pollLat, slowest(b, poll, res.Latest, res.Now))
	}
	b.StopTimer()
	p50push, p99push := percentile(pushLat, 50), percentile(pushLat, 99)
	p50poll, p99poll := percentile(pollLat, 50), percentile(pollLat, 99)
	b.ReportMetric(float64(p50push.Microseconds())/1000, "push-p50-ms")
	b.ReportMetric(float64(p99push.Microseconds())/1000, "push-p99-ms")
	b.ReportMetric(float64(p50poll.Microseconds())/1000, "poll-p50-ms")
	b.ReportMetric(float64(p99poll.Microseconds())/1000, "poll-p99-ms")
	if p99push > 0 {
		b.ReportMetric(float64(p99poll)/float64(p99push), "p99-ratio")
	}
}

// slowest waits for every helper to report version v and returns the
// latest arrival relative to committed.
func slowest(b *testing.B, hs []*helper, v uint32, committed time.Time) time.Duration {
	var worst time.Duration
	prefix := fmt.Sprintf("got %d ", v)
	for _, h := range hs {
		l := h.expect(prefix, 30*time.Second)
		ns, err := strconv.ParseInt(strings.Fields(l)[2], 10, 64)
		if err != nil {
			b.Fatal(l)
		}
		worst = max(worst, time.Unix(0, ns).Sub(committed))
	}
	return worst
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}
