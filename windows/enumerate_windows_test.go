package windows

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
)

// TestEnumerateWhileDeleting: CredEnumerateW under Wine fails with
// ERROR_KEY_DELETED or ERROR_FILE_NOT_FOUND when a credential it is listing
// is deleted meanwhile; concurrent writers (the vault's keyring engine
// replacing items) made searches fail. enumerate lists again instead. (One
// writer: several threads churning Wine's credential keys at full speed
// crash Wine itself.)
func TestEnumerateWhileDeleting(t *testing.T) {
	api := testAPI(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "mp-enum-test-" + hex.EncodeToString(b) + ":"
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 1; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				target := fmt.Sprintf("%s%d-%d", prefix, w, i%4)
				_ = api.write(&credential{Target: target, Blob: []byte("x")})
				_ = api.remove(target)
			}
		}()
	}
	defer func() {
		close(stop)
		wg.Wait()
		creds, _ := api.enumerate(prefix)
		for _, c := range creds {
			_ = api.remove(c.Target)
		}
	}()
	for i := 0; i < 300; i++ {
		if _, err := api.enumerate(prefix); err != nil {
			t.Fatalf("enumerate %d while others delete: %v", i, err)
		}
	}
}
