package ttlcache

import (
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type val struct{ b []byte }

func cloneVal(v *val) *val { return &val{b: append([]byte(nil), v.b...)} }

// TestExpiryCopiesAndDrops: an entry is served until its TTL and not at
// it; callers get copies; every value the cache lets go of (expired,
// replaced, deleted, cleared) is dropped, and none is dropped twice.
func TestExpiryCopiesAndDrops(t *testing.T) {
	clk := &clock{t: time.Unix(1000, 0)}
	dropped := map[*val]int{}
	c := New(time.Minute, clk.now, cloneVal, func(v *val) { dropped[v]++ })

	orig := &val{b: []byte("one")}
	c.Put("a", orig)
	orig.b[0] = 'X' // the caller wipes its own copy
	got, ok := c.Get("a")
	if !ok || string(got.b) != "one" {
		t.Fatalf("Get = %q, %v", got.b, ok)
	}
	got.b[0] = 'Y' // and the copy it was handed
	if again, _ := c.Get("a"); string(again.b) != "one" {
		t.Fatalf("a caller's change reached the cache: %q", again.b)
	}
	clk.add(time.Minute - time.Nanosecond)
	if _, ok := c.Get("a"); !ok {
		t.Fatal("entry gone before its TTL")
	}
	clk.add(time.Nanosecond)
	if _, ok := c.Get("a"); ok {
		t.Fatal("entry served at its TTL")
	}
	c.Put("b", &val{b: []byte("1")})
	c.Put("b", &val{b: []byte("2")}) // replaces
	c.Put("c", &val{b: []byte("3")})
	c.Delete("c")
	c.Delete("c")
	c.Put("d", &val{b: []byte("4")})
	c.Clear()
	if c.Len() != 0 {
		t.Fatalf("Len after Clear = %d", c.Len())
	}
	if len(dropped) != 5 {
		t.Fatalf("dropped %d values, want 5 (expired a, both b, c, d)", len(dropped))
	}
	for v, n := range dropped {
		if n != 1 {
			t.Fatalf("value %q dropped %d times", v.b, n)
		}
	}
}

// TestOffStoresNothing: a TTL of zero disables the cache.
func TestOffStoresNothing(t *testing.T) {
	c := New(0, nil, cloneVal, nil)
	c.Put("a", &val{b: []byte("x")})
	if _, ok := c.Get("a"); ok || c.Len() != 0 {
		t.Fatal("a disabled cache stored a value")
	}
}

// TestSweep: entries that expire unread are dropped by later Puts, so the
// cache does not grow with keys read once.
func TestSweep(t *testing.T) {
	clk := &clock{t: time.Unix(0, 0)}
	n := 0
	c := New(time.Second, clk.now, cloneVal, func(*val) { n++ })
	for i := 0; i < 63; i++ {
		c.Put(string(rune('A'+i)), &val{})
	}
	clk.add(time.Second)
	c.Put("last", &val{})
	if c.Len() != 1 || n != 63 {
		t.Fatalf("after the sweep: %d entries, %d dropped", c.Len(), n)
	}
}

func TestConcurrent(t *testing.T) {
	c := New(time.Minute, nil, cloneVal, func(v *val) { clear(v.b) })
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				c.Put("k", &val{b: []byte("abc")})
				if v, ok := c.Get("k"); ok && string(v.b) != "abc" {
					t.Errorf("read a dropped value: %q", v.b)
					return
				}
				c.Delete("k")
			}
		}()
	}
	wg.Wait()
}
