package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/secret"
)

// itemDescription is an item as the listing verbs print it. The secret is
// only filled for search, which prints secrets as secret-tool does.
type itemDescription struct {
	Path         string             `json:"path,omitempty"`
	Label        string             `json:"label"`
	Attributes   keyring.Attributes `json:"attributes"`
	Created      int64              `json:"created,omitempty"`
	Modified     int64              `json:"modified,omitempty"`
	Locked       bool               `json:"locked,omitempty"`
	Secret       *string            `json:"secret,omitempty"`
	SecretBase64 *string            `json:"secret_base64,omitempty"`
	Error        string             `json:"error,omitempty"`

	// header is the item's name in search's text output (itemHeader).
	header            string
	created, modified time.Time
}

// describeItems describes items; withSecrets adds the secrets of the
// unlocked ones, and unlock first unlocks the locked ones (search --unlock,
// which may prompt).
func describeItems(ctx context.Context, kr *keyring.Keyring, items []keyring.Item, withSecrets, unlock bool) []itemDescription {
	backend := kr.Backend().Name
	out := make([]itemDescription, 0, len(items))
	for _, it := range items {
		d := itemDescription{Path: it.ID(), header: itemHeader(backend, it.ID())}
		if backend == keyring.File {
			// File items have no object path (secret-tool prints "[no path]").
			d.Path = ""
		}
		var err error
		if d.Label, err = it.Label(ctx); err != nil {
			d.Error = err.Error()
		}
		d.Attributes, _ = it.Attributes(ctx)
		if d.Attributes == nil {
			d.Attributes = keyring.Attributes{}
		}
		d.created, _ = it.Created(ctx)
		d.modified, _ = it.Modified(ctx)
		if !d.created.IsZero() {
			d.Created = d.created.Unix()
		}
		if !d.modified.IsZero() {
			d.Modified = d.modified.Unix()
		}
		d.Locked, _ = it.IsLocked(ctx)
		if withSecrets && d.Locked && unlock {
			if err := it.Unlock(ctx); err != nil {
				if d.Error == "" {
					d.Error = err.Error()
				}
			} else {
				d.Locked = false
			}
		}
		if withSecrets && !d.Locked {
			if v, err := it.Secret(ctx); err == nil {
				b := append([]byte(nil), v.Bytes()...)
				v.Wipe()
				if printable(b) {
					s := string(b)
					d.Secret = &s
				} else {
					s := base64.StdEncoding.EncodeToString(b)
					d.SecretBase64 = &s
				}
				secret.Wipe(b)
			} else if d.Error == "" {
				d.Error = err.Error()
			}
		}
		out = append(out, d)
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// itemHeader is how search names an item, as secret-tool does: the last
// component of a Secret Service object path with its slash ("/2" for
// .../collection/login/2), "no path" for the file backend, which has none.
// The other backends' IDs are not paths (a kernel key serial, a Credential
// Manager target, a Keychain service and account) and print whole.
func itemHeader(backend, id string) string {
	switch {
	case backend == keyring.File || id == "":
		return "no path"
	case backend == keyring.SecretService:
		if i := strings.LastIndexByte(id, '/'); i >= 0 {
			return id[i:]
		}
	}
	return id
}
