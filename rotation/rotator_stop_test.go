package rotation_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/rotation"
	"github.com/moneypenny-go/keyring/rotation/filestore"
)

// gatedStorage holds each Rotate until the test releases it, then acts as
// a database driver does: a call whose context has ended fails.
type gatedStorage struct {
	rotation.Storage
	entered chan struct{}
	release chan struct{}
}

func (g *gatedStorage) Rotate(ctx context.Context, group string, force bool, seal rotation.SealFunc) (rotation.RotateResult, error) {
	g.entered <- struct{}{}
	<-g.release
	if err := ctx.Err(); err != nil {
		return rotation.RotateResult{}, err
	}
	return g.Storage.Rotate(ctx, group, force, seal)
}

// TestRotatorStopDuringRotate: a rotator stopped while a rotation is under
// way lets it finish, and OnRotate reports the version it inserted, so that
// what the rotators report equals what the store holds. (A four-process
// PostgreSQL test saw one insertion unreported when a stop cancelled a
// commit that had already happened.)
func TestRotatorStopDuringRotate(t *testing.T) {
	ctx := context.Background()
	kr, err := filekeyring.Open(ctx, filepath.Join(t.TempDir(), "r.keyring"), []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	defer kr.Close()
	enc, err := rotation.NewLocalEncryptor(bytes.Repeat([]byte{7}, rotation.KEKSize))
	if err != nil {
		t.Fatal(err)
	}
	st := &gatedStorage{Storage: filestore.New(kr), entered: make(chan struct{}, 1), release: make(chan struct{})}
	const group = "stopped-mid-rotation"
	if _, _, err := rotation.CreateGroup(ctx, st.Storage, enc, rotation.GroupConfig{Name: group, Interval: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond) // version 1 is due for rotation
	reported := make(chan uint32, 4)
	rctx, stop := context.WithCancel(ctx)
	h, err := (&rotation.Rotator{Storage: st, Encryptor: enc, Group: group,
		OnRotate: func(r rotation.RotateResult) { reported <- r.Latest }}).Start(rctx)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-st.entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the rotator did not rotate")
	}
	stop()
	close(st.release)
	h.Wait()
	snap, err := st.Storage.Load(ctx, group, 10)
	if err != nil {
		t.Fatal(err)
	}
	latest := snap.Latest
	select {
	case v := <-reported:
		if v != latest || latest != 2 {
			t.Fatalf("reported version %d, the store's newest is %d", v, latest)
		}
	default:
		t.Fatalf("the store holds version %d, which the stopped rotator never reported", latest)
	}
}
