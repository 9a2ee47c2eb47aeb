package awssm

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

const (
	// formatVersion marks a SecretString (and a Description) this engine
	// wrote.
	formatVersion = 1
	// maxSecretSize is Secrets Manager's limit on a version's SecretString.
	maxSecretSize = 65536
	// maxDescription is Secrets Manager's limit on a Description.
	maxDescription = 2048
	// descriptionPrefix starts the Description this engine writes.
	descriptionPrefix = "moneypenny-vault "

	// MaxValueSize is the size of value that always fits in a version
	// with its metadata, whatever its bytes: base64 of it plus the
	// metadata stays under Secrets Manager's 65536 bytes. Text values up
	// to about 64 KiB fit as well.
	MaxValueSize = 47 << 10
)

// stored is a version's SecretString (with Value or ValueBase64) and, with
// neither, the copy of the metadata in the Description.
type stored struct {
	Format      int     `json:"moneypenny_vault"`
	Value       *string `json:"value,omitempty"`
	ValueBase64 *string `json:"value_base64,omitempty"`
	Provider    string  `json:"provider,omitempty"`
	ExpiresAt   string  `json:"expires_at,omitempty"`
	CreatedAt   string  `json:"created_at,omitempty"`
	UpdatedAt   string  `json:"updated_at,omitempty"`
	// Version is the version ID this record was written as (the
	// ClientRequestToken): in the Description it says which version the
	// metadata there describes.
	Version string `json:"version,omitempty"`
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

func metaOf(rec *vault.Record, version string) stored {
	return stored{
		Format:    formatVersion,
		Provider:  rec.Provider,
		ExpiresAt: formatTime(rec.ExpiresAt),
		CreatedAt: formatTime(rec.CreatedAt),
		UpdatedAt: formatTime(rec.UpdatedAt),
		Version:   version,
	}
}

// encodeRecord is rec's SecretString and Description for version. The
// value goes in as text when it is UTF-8 and that is shorter than base64
// (control bytes cost six each in JSON), else as base64. The returned
// SecretString holds the value: the caller wipes it.
func encodeRecord(rec *vault.Record, version string) (body []byte, desc string, err error) {
	s := metaOf(rec, version)
	d, err := json.Marshal(s)
	if err != nil {
		return nil, "", err
	}
	desc = descriptionPrefix + string(d)
	if len(desc) > maxDescription {
		return nil, "", fmt.Errorf("metadata of %d bytes exceeds Secrets Manager's %d-byte description: %w", len(desc), maxDescription, secret.ErrTooLarge)
	}
	v := rec.Value.Bytes()
	b64 := base64.StdEncoding.EncodeToString(v)
	var text []byte
	if utf8.Valid(v) {
		text, _ = json.Marshal(string(v))
	}
	if text != nil && len(text) <= len(b64)+2 {
		str := string(v)
		s.Value = &str
	} else {
		s.ValueBase64 = &b64
	}
	secret.Wipe(text)
	body, err = json.Marshal(s)
	if err != nil {
		return nil, "", err
	}
	if len(body) > maxSecretSize {
		n := len(body)
		secret.Wipe(body)
		return nil, "", fmt.Errorf("the value with its metadata is %d bytes, over Secrets Manager's %d-byte limit: %w", n, maxSecretSize, secret.ErrTooLarge)
	}
	return body, desc, nil
}

// decodeRecord reads a version's SecretString or SecretBinary. One this
// engine did not write is a value without metadata.
func decodeRecord(p vault.Path, str *string, bin []byte) (*vault.Record, error) {
	rec := &vault.Record{Metadata: vault.Metadata{Path: p}}
	if str == nil {
		rec.Value = secret.New(append([]byte(nil), bin...))
		return rec, nil
	}
	raw := []byte(*str)
	var s stored
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) || json.Unmarshal(raw, &s) != nil || s.Format == 0 || (s.Value == nil && s.ValueBase64 == nil) {
		rec.Value = secret.New(raw)
		return rec, nil
	}
	secret.Wipe(raw)
	if s.Format != formatVersion {
		return nil, fmt.Errorf("secret %s was written in format %d by a newer version: %w", p, s.Format, secret.ErrUnsupportedFormat)
	}
	if err := s.fill(&rec.Metadata); err != nil {
		return nil, fmt.Errorf("secret %s: %v: %w", p, err, secret.ErrCorrupt)
	}
	if s.Value != nil {
		rec.Value = secret.New([]byte(*s.Value))
		return rec, nil
	}
	v, err := base64.StdEncoding.DecodeString(*s.ValueBase64)
	if err != nil {
		return nil, fmt.Errorf("secret %s: value_base64 is not base64: %w", p, secret.ErrCorrupt)
	}
	rec.Value = secret.New(v)
	return rec, nil
}

// decodeDescription reads the metadata copy in a Description: ok is false
// when this engine did not write it.
func decodeDescription(desc string) (s stored, ok bool) {
	rest, found := strings.CutPrefix(desc, descriptionPrefix)
	if !found || json.Unmarshal([]byte(rest), &s) != nil || s.Format != formatVersion {
		return stored{}, false
	}
	return s, true
}

func (s stored) fill(m *vault.Metadata) error {
	var err error
	m.Provider = s.Provider
	if m.ExpiresAt, err = parseTime(s.ExpiresAt); err != nil {
		return fmt.Errorf("expires_at: %v", err)
	}
	if m.CreatedAt, err = parseTime(s.CreatedAt); err != nil {
		return fmt.Errorf("created_at: %v", err)
	}
	if m.UpdatedAt, err = parseTime(s.UpdatedAt); err != nil {
		return fmt.Errorf("updated_at: %v", err)
	}
	return nil
}
