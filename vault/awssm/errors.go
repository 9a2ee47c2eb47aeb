package awssm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

// apiCode is the Secrets Manager error code of err, "" when err is not an
// API error (a network failure, a cancelled context).
func apiCode(err error) (code, msg string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return "", ""
}

// scheduledForDeletion: the error Secrets Manager gives for a secret whose
// deletion is pending ("... scheduled for deletion", "... marked for
// deletion").
func scheduledForDeletion(err error) bool {
	code, msg := apiCode(err)
	return code == "InvalidRequestException" && strings.Contains(msg, "deletion")
}

// mapErr wraps an SDK error with the sentinel callers test for. The SDK's
// errors carry the operation, the error code and the service's message,
// never a request body, so they are safe to show.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("awssm: %s: %w", op, err)
	}
	code, _ := apiCode(err)
	switch {
	case code == "ResourceNotFoundException", scheduledForDeletion(err):
		return fmt.Errorf("awssm: %s: %w (%w)", op, secret.ErrNotFound, err)
	case code == "ResourceExistsException":
		return fmt.Errorf("awssm: %s: %w (%w)", op, vault.ErrConflict, err)
	case code == "":
		// No answer from the service: DNS, connection, TLS, or a
		// credential provider that failed before the request.
		return fmt.Errorf("awssm: %s: %w: %w", op, secret.ErrUnavailable, err)
	}
	return fmt.Errorf("awssm: %s: %w", op, err)
}
