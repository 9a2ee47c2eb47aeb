package hcvault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

// ErrPermissionDenied: the server refused the token (HTTP 403): the token
// expired or was revoked, or its policies do not grant the operation on
// that path. Errors that wrap it also wrap fs.ErrPermission.
var ErrPermissionDenied = errors.New("permission denied")

// ErrSealed: the server is sealed (HTTP 503 with "Vault is sealed"). Errors
// that wrap it also wrap secret.ErrUnavailable.
var ErrSealed = errors.New("vault is sealed")

// maxResponse bounds what the engine reads of a response: a value is at
// most what the Vault allows (64 KiB by default) plus JSON, a LIST answer a
// few thousand keys.
const maxResponse = 32 << 20

// StatusError is an error answer of the server. It wraps, by status code:
// 400 with a check-and-set mismatch vault.ErrConflict, other 400s
// secret.ErrInvalidArgument, 403 ErrPermissionDenied and fs.ErrPermission,
// 404 secret.ErrNotFound, 503 sealed ErrSealed and secret.ErrUnavailable,
// 429 and other 5xx secret.ErrUnavailable.
type StatusError struct {
	Op         string   // "read", "write", "list", ...
	URLPath    string   // the API path, "/v1/secret/data/moneypenny/global/key"
	StatusCode int      // the HTTP status
	Errors     []string // the server's "errors" array
}

func (e *StatusError) Error() string {
	msg := strings.Join(e.Errors, "; ")
	if msg == "" {
		msg = strings.ToLower(http.StatusText(e.StatusCode))
	}
	hint := ""
	if e.StatusCode == http.StatusForbidden {
		hint = " (the token is expired or revoked, or its policies do not allow this path)"
	}
	return fmt.Sprintf("hcvault: %s %s: %d %s%s", e.Op, e.URLPath, e.StatusCode, msg, hint)
}

// Unwrap returns the sentinels the status maps to.
func (e *StatusError) Unwrap() []error {
	switch c := e.StatusCode; {
	case c == http.StatusBadRequest && e.casMismatch():
		return []error{vault.ErrConflict}
	case c == http.StatusBadRequest:
		return []error{secret.ErrInvalidArgument}
	case c == http.StatusForbidden:
		return []error{ErrPermissionDenied, fs.ErrPermission}
	case c == http.StatusNotFound:
		return []error{secret.ErrNotFound}
	case c == http.StatusServiceUnavailable && e.sealed():
		return []error{ErrSealed, secret.ErrUnavailable}
	case c == http.StatusTooManyRequests || c >= 500:
		return []error{secret.ErrUnavailable}
	}
	return nil
}

func (e *StatusError) casMismatch() bool { return e.has("check-and-set parameter did not match") }
func (e *StatusError) sealed() bool      { return e.has("sealed") }

func (e *StatusError) has(s string) bool {
	for _, m := range e.Errors {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// request is one call to the server.
type request struct {
	op     string
	method string
	path   string // under /v1/, escaped
	query  string
	body   []byte // wiped after the call when wipeBody
	// wipeBody: body holds a value.
	wipeBody bool
	// noNamespace: a root-only endpoint (sys/health).
	noNamespace bool
}

// do sends r and returns the response body of a 2xx answer (nil for 204),
// or a *StatusError, or a transport error wrapping secret.ErrUnavailable
// or the context's error. The caller wipes the returned body if it may
// hold a value.
func (e *Engine) do(ctx context.Context, r request) ([]byte, error) {
	if r.wipeBody {
		defer secret.Wipe(r.body)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.s.timeout)
		defer cancel()
	}
	u := *e.s.base
	u.Path = strings.TrimRight(u.Path, "/") + "/v1/" + r.path
	u.RawPath = ""
	if esc := strings.TrimRight(e.s.base.EscapedPath(), "/") + "/v1/" + r.path; esc != u.EscapedPath() {
		u.RawPath = esc
	}
	u.RawQuery = r.query
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("hcvault: %s: %w", r.op, err)
	}
	req.Header.Set("X-Vault-Token", e.s.token)
	req.Header.Set("X-Vault-Request", "true")
	if e.s.namespace != "" && !r.noNamespace {
		req.Header.Set("X-Vault-Namespace", e.s.namespace)
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.s.client.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("hcvault: %s %s: no answer from %s: %w", r.op, "/v1/"+r.path, e.s.base.Host, ctxErr)
		}
		return nil, fmt.Errorf("hcvault: %s %s: %w: %w", r.op, "/v1/"+r.path, secret.ErrUnavailable, stripURL(err))
	}
	defer resp.Body.Close()
	b, err := readBody(resp.Body, resp.ContentLength)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, fmt.Errorf("hcvault: %s %s: reading the answer: %w", r.op, "/v1/"+r.path, err)
	}
	if resp.StatusCode/100 == 2 {
		return b, nil
	}
	se := &StatusError{Op: r.op, URLPath: "/v1/" + r.path, StatusCode: resp.StatusCode}
	var eb struct {
		Errors []string `json:"errors"`
	}
	if json.Unmarshal(b, &eb) == nil {
		se.Errors = eb.Errors
	}
	secret.Wipe(b)
	return nil, se
}

// readBody reads at most maxResponse bytes. hint is the Content-Length the
// server claimed, trusted only for a first buffer of up to 1 MiB; buffers
// outgrown are wiped, as they may hold a value.
func readBody(r io.Reader, hint int64) ([]byte, error) {
	n := 4096
	if hint > 0 && hint < 1<<20 {
		n = int(hint) + 1
	}
	b := make([]byte, 0, n)
	for {
		if len(b) == cap(b) {
			nb := make([]byte, len(b), 2*cap(b))
			copy(nb, b)
			secret.Wipe(b)
			b = nb
		}
		m, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if len(b) > maxResponse {
			secret.Wipe(b)
			return nil, fmt.Errorf("answer over %d bytes: %w", maxResponse, secret.ErrCorrupt)
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			secret.Wipe(b)
			return nil, err
		}
	}
}

// stripURL drops the request URL from a *url.Error: the caller's wrapping
// names the call already.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
