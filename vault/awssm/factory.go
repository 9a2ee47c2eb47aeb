package awssm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

// Register lets vault.Open choose the engine by name (Name): the same as
// vault.WithEngineFactory(Name, Factory).
func Register() vault.Option { return vault.WithEngineFactory(Name, Factory) }

// Factory opens the engine for vault.Open from its section of the config
// file, all keys optional:
//
//	"vault": {
//	  "engine": "aws-secrets-manager",
//	  "aws-secrets-manager": {
//	    "region": "eu-west-1",
//	    "prefix": "myapp/",
//	    "endpoint": "",
//	    "recovery_window_days": 30,
//	    "force_delete": false,
//	    "cache_ttl": "5m"
//	  }
//	}
//
// Credentials and, without "region", the region come from the SDK's
// default chain (AWS_REGION, AWS_PROFILE, ~/.aws, roles), which reads the
// process environment.
func Factory(ctx context.Context, section json.RawMessage, _ func(string) string) (vault.Engine, error) {
	var c struct {
		Region             string  `json:"region"`
		Prefix             *string `json:"prefix"`
		Endpoint           string  `json:"endpoint"`
		RecoveryWindowDays int     `json:"recovery_window_days"`
		ForceDelete        bool    `json:"force_delete"`
		CacheTTL           string  `json:"cache_ttl"`
	}
	if len(section) > 0 {
		dec := json.NewDecoder(bytes.NewReader(section))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("config: %v: %w", err, secret.ErrInvalidArgument)
		}
	}
	var opts []Option
	if c.Region != "" {
		opts = append(opts, WithRegion(c.Region))
	}
	if c.Prefix != nil {
		opts = append(opts, WithPrefix(*c.Prefix))
	}
	if c.Endpoint != "" {
		opts = append(opts, WithEndpoint(c.Endpoint))
	}
	if c.RecoveryWindowDays != 0 {
		opts = append(opts, WithRecoveryWindow(c.RecoveryWindowDays))
	}
	if c.ForceDelete {
		opts = append(opts, WithForceDelete())
	}
	if c.CacheTTL != "" {
		d, err := time.ParseDuration(c.CacheTTL)
		if err != nil {
			return nil, fmt.Errorf("config: cache_ttl: %v: %w", err, secret.ErrInvalidArgument)
		}
		opts = append(opts, WithCacheTTL(d))
	}
	return New(ctx, opts...)
}
