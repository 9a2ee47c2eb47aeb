package gcrprompt

import (
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// TestExchangeAgainstGcr runs our side of sx-aes-1 against gcr's library
// until two exchanges have had a shared secret with a zero top byte (1 in
// 256), which gcr hashes one byte shorter: every password must come out
// right.
func TestExchangeAgainstGcr(t *testing.T) {
	gcr := testpeer.StartGcrExchange(t)
	ask := gcr.Ask
	short := 0
	for i := 0; short < 2; i++ {
		if i == 5000 {
			t.Fatal("no short shared secret in 5000 exchanges")
		}
		x, err := newExchange()
		if err != nil {
			t.Fatal(err)
		}
		if err := x.receive(ask("begin")); err != nil {
			t.Fatalf("round %d: gcr's first message: %v", i, err)
		}
		reply := ask(x.begin())
		if reply == "refused" {
			t.Fatalf("round %d: gcr refused our message", i)
		}
		pw, err := x.open(reply)
		if err != nil || string(pw) != testpeer.GcrSecret {
			t.Fatalf("round %d (short shared secret: %v): password %q, %v", i, x.short, pw, err)
		}
		if x.short {
			short++
		}
	}
}
