package windows

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// MaxSecretSize is the largest secret this package stores: 100 parts and
// more would make every read of the item a hundred calls.
const MaxSecretSize = 200 * 1024

// magic starts the blob of every head credential this package writes. Its
// version changes if the layout ever does, and an unknown version is left
// alone rather than overwritten.
const magic = "moneypenny/1"

// header is the JSON metadata line of a record. Field names are part of the
// documented format.
type header struct {
	Label       string            `json:"label"`
	Attributes  secret.Attributes `json:"attributes"`
	ContentType string            `json:"contentType,omitempty"`
	Created     time.Time         `json:"created"`
	Modified    time.Time         `json:"modified"`
	// Size is the number of secret bytes, checked when the parts are joined.
	Size int `json:"size"`
}

// record is one item as this package stores it, before splitting.
type record struct {
	header
	secret []byte
}

// encoded is a record cut into credential blobs.
type encoded struct {
	gen   string   // the generation that names the parts
	head  []byte   // the head blob: first line plus the first payload bytes
	parts [][]byte // blobs of parts 1..n-1
}

// newGeneration returns a fresh random generation id (8 hex digits).
func newGeneration() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// encode serialises r and splits it into blobs of at most MaxBlobSize bytes.
// The caller wipes the returned blobs once they are written.
func encode(r *record, gen string) (*encoded, error) {
	if len(r.secret) > MaxSecretSize {
		return nil, fmt.Errorf("windows: secret of %d bytes exceeds %d: %w", len(r.secret), MaxSecretSize, secret.ErrTooLarge)
	}
	h := r.header
	h.Size = len(r.secret)
	meta, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("windows: encode header: %w", err)
	}
	payload := make([]byte, 0, len(meta)+1+len(r.secret))
	payload = append(append(append(payload, meta...), '\n'), r.secret...)
	defer secret.Wipe(payload)

	// The first line names the part count, which depends on how much the
	// first line itself takes; a count of at most three digits is assumed
	// and checked.
	first := func(n int) string { return fmt.Sprintf("%s %s %d\n", magic, gen, n) }
	headRoom := MaxBlobSize - len(first(999))
	n := 1
	if rest := len(payload) - headRoom; rest > 0 {
		n += (rest + MaxBlobSize - 1) / MaxBlobSize
	}
	if n > 999 {
		return nil, fmt.Errorf("windows: item needs %d credentials: %w", n, secret.ErrTooLarge)
	}
	e := &encoded{gen: gen}
	cut := min(headRoom, len(payload))
	e.head = append([]byte(first(n)), payload[:cut]...)
	for rest := payload[cut:]; len(rest) > 0; {
		k := min(MaxBlobSize, len(rest))
		e.parts = append(e.parts, append([]byte(nil), rest[:k]...))
		rest = rest[k:]
	}
	return e, nil
}

// wipe zeroes every blob.
func (e *encoded) wipe() {
	secret.Wipe(e.head)
	for _, p := range e.parts {
		secret.Wipe(p)
	}
}

// headInfo is what the first line of a head blob says.
type headInfo struct {
	gen     string
	parts   int    // total number of credentials, the head included
	payload []byte // the payload bytes the head carries
}

// parseHead reads a head blob. ok is false when the blob was not written by
// this package (a foreign credential), err is set when it was but the first
// line is damaged or of a newer version.
func parseHead(blob []byte) (h headInfo, ok bool, err error) {
	nl := bytes.IndexByte(blob, '\n')
	if !bytes.HasPrefix(blob, []byte("moneypenny/")) || nl < 0 {
		return h, false, nil
	}
	fields := strings.Fields(string(blob[:nl]))
	if len(fields) != 3 || fields[0] != magic {
		return h, true, fmt.Errorf("windows: credential of format %q: %w", fields[0], secret.ErrUnsupportedFormat)
	}
	n, err := strconv.Atoi(fields[2])
	if err != nil || n < 1 || n > 999 || len(fields[1]) != 8 {
		return h, true, fmt.Errorf("windows: bad credential header: %w", secret.ErrCorrupt)
	}
	return headInfo{gen: fields[1], parts: n, payload: blob[nl+1:]}, true, nil
}

// decodeHeader parses the JSON line at the start of payload. complete is
// false when the line does not end within payload (it continues in a part).
func decodeHeader(payload []byte) (h header, rest []byte, complete bool, err error) {
	nl := bytes.IndexByte(payload, '\n')
	if nl < 0 {
		return h, nil, false, nil
	}
	if err := json.Unmarshal(payload[:nl], &h); err != nil {
		return h, nil, true, fmt.Errorf("windows: credential metadata: %w", secret.ErrCorrupt)
	}
	if h.Attributes == nil {
		h.Attributes = secret.Attributes{}
	}
	return h, payload[nl+1:], true, nil
}

// decode joins a head's payload and its parts' blobs into a record.
func decode(hi headInfo, parts [][]byte) (*record, error) {
	size := len(hi.payload)
	for _, p := range parts {
		size += len(p)
	}
	payload := make([]byte, 0, size)
	payload = append(payload, hi.payload...)
	for _, p := range parts {
		payload = append(payload, p...)
	}
	defer secret.Wipe(payload)
	h, rest, complete, err := decodeHeader(payload)
	if err != nil {
		return nil, err
	}
	if !complete || len(rest) != h.Size {
		return nil, fmt.Errorf("windows: credential holds %d secret bytes, header says %d: %w", len(rest), h.Size, secret.ErrCorrupt)
	}
	return &record{header: h, secret: append([]byte{}, rest...)}, nil
}
