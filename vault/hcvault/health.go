package hcvault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/moneypenny-go/keyring/secret"
)

// HealthCheck asks the server's sys/health whether it is initialised,
// unsealed and serving (a standby counts as serving: it forwards), then
// checks the token with auth/token/lookup-self. It touches no secret. The
// error says what is wrong: sealed (wrapping ErrSealed), not initialised,
// unreachable (secret.ErrUnavailable), the token refused
// (ErrPermissionDenied). A token whose policies leave out the default
// policy's lookup-self fails the second check although it may read
// secrets; the check is information, never a reason to stop.
func (e *Engine) HealthCheck(ctx context.Context) error {
	if err := e.check(); err != nil {
		return err
	}
	body, err := e.do(ctx, request{op: "health", method: http.MethodGet, path: "sys/health",
		query: "standbyok=true&perfstandbyok=true", noNamespace: true})
	var se *StatusError
	if errors.As(err, &se) {
		// sys/health answers with the state in the body whatever the code.
		switch se.StatusCode {
		case 501:
			return fmt.Errorf("hcvault: %s is not initialised: %w", e.s.base.Host, secret.ErrUnavailable)
		case 503:
			return fmt.Errorf("hcvault: %s is sealed: %w: %w", e.s.base.Host, ErrSealed, secret.ErrUnavailable)
		case 472:
			return fmt.Errorf("hcvault: %s is a disaster-recovery secondary, which serves no secrets: %w", e.s.base.Host, secret.ErrUnavailable)
		}
		return err
	}
	if err != nil {
		return err
	}
	var h struct {
		Initialized bool `json:"initialized"`
		Sealed      bool `json:"sealed"`
	}
	if json.Unmarshal(body, &h) != nil {
		return fmt.Errorf("hcvault: %s/v1/sys/health: not a Vault health answer: %w", e.s.base.Redacted(), secret.ErrUnavailable)
	}
	if h.Sealed {
		return fmt.Errorf("hcvault: %s is sealed: %w: %w", e.s.base.Host, ErrSealed, secret.ErrUnavailable)
	}
	// The answer holds the token itself: wipe it.
	b, err := e.do(ctx, request{op: "token check", method: http.MethodGet, path: "auth/token/lookup-self"})
	secret.Wipe(b)
	return err
}
