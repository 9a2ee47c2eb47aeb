package testpeer

import "io"

// drain drains a peer's pipe so it never blocks on a full buffer.
func drain(r io.Reader) (int64, error) { return io.Copy(io.Discard, r) }
