package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
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

	created, modified time.Time
}

func describeItems(ctx context.Context, kr *keyring.Keyring, items []keyring.Item, withSecrets bool) []itemDescription {
	noPath := kr.Backend().Name == keyring.File
	out := make([]itemDescription, 0, len(items))
	for _, it := range items {
		d := itemDescription{Path: it.ID()}
		if noPath {
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
