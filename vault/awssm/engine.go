package awssm

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
	"github.com/moneypenny-go/keyring/vault/internal/ttlcache"
)

// Name is the engine's name for vault.WithEngineFactory, vault.Info and
// MONEYPENNY_VAULT_ENGINE.
const Name = "aws-secrets-manager"

const (
	// maxNameLen is Secrets Manager's limit on a secret name.
	maxNameLen    = 512
	stageCurrent  = "AWSCURRENT"
	stagePrevious = "AWSPREVIOUS"
)

// Engine keeps vault records in AWS Secrets Manager. It is safe for
// concurrent use.
type Engine struct {
	client *secretsmanager.Client
	o      options
	region string
	cache  *ttlcache.Cache[*vault.Record]
}

// New opens the engine. Without WithAWSConfig it loads the SDK's default
// configuration (credentials chain, region, retries); a region must come
// from somewhere. No request is made: HealthCheck tells whether the
// service answers.
func New(ctx context.Context, opts ...Option) (*Engine, error) {
	o := defaultOptions()
	for _, f := range opts {
		f(&o)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	var cfg aws.Config
	if o.awsConfig != nil {
		cfg = o.awsConfig.Copy()
	} else {
		var lo []func(*config.LoadOptions) error
		if o.region != "" {
			lo = append(lo, config.WithRegion(o.region))
		}
		if o.httpClient != nil {
			lo = append(lo, config.WithHTTPClient(o.httpClient))
		}
		var err error
		if cfg, err = config.LoadDefaultConfig(ctx, lo...); err != nil {
			return nil, fmt.Errorf("awssm: loading the AWS configuration: %w", err)
		}
	}
	if o.region != "" {
		cfg.Region = o.region
	}
	if o.httpClient != nil {
		cfg.HTTPClient = o.httpClient
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("awssm: no AWS region (WithRegion, AWS_REGION, or a profile's region): %w", secret.ErrInvalidArgument)
	}
	client := secretsmanager.NewFromConfig(cfg, func(so *secretsmanager.Options) {
		if o.endpoint != "" {
			so.BaseEndpoint = aws.String(o.endpoint)
		}
	})
	e := &Engine{client: client, o: o, region: cfg.Region}
	e.cache = ttlcache.New(o.cacheTTL, o.now, cloneRecord, func(r *vault.Record) { r.Value.Wipe() })
	return e, nil
}

func cloneRecord(r *vault.Record) *vault.Record {
	c := *r
	c.Value = r.Value.Clone()
	return &c
}

// Info describes the engine.
func (e *Engine) Info() vault.Info {
	loc := "aws-secrets-manager://" + e.region + "/" + e.o.prefix
	if e.o.endpoint != "" {
		loc += " at " + e.o.endpoint
	}
	return vault.Info{Engine: Name, Persistent: true, Location: loc}
}

// Close wipes the cached values. The SDK client holds no connections that
// need closing beyond idle HTTP ones.
func (e *Engine) Close() error {
	e.cache.Clear()
	return nil
}

// HealthCheck makes one ListSecrets call: it fails when the endpoint, the
// credentials or the permission to list are wrong.
func (e *Engine) HealthCheck(ctx context.Context) error {
	_, err := e.client.ListSecrets(ctx, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(1)})
	return mapErr("health check", err)
}

func (e *Engine) name(p vault.Path) string { return e.o.prefix + p.String() }

// checkName refuses a path whose secret name Secrets Manager would reject
// for its length, before any request.
func (e *Engine) checkName(op string, p vault.Path) error {
	if n := len(e.name(p)); n > maxNameLen {
		return fmt.Errorf("awssm: %s %s: the secret name would be %d bytes, over Secrets Manager's %d: %w", op, p, n, maxNameLen, secret.ErrInvalidArgument)
	}
	return nil
}

// Read returns the current version of the secret at p.
func (e *Engine) Read(ctx context.Context, p vault.Path) (*vault.Record, error) {
	if r, ok := e.cache.Get(p.String()); ok {
		return r, nil
	}
	r, err := e.readVersion(ctx, p, &secretsmanager.GetSecretValueInput{VersionStage: aws.String(stageCurrent)})
	if err != nil {
		return nil, err
	}
	e.cache.Put(p.String(), r)
	return r, nil
}

// ReadPrevious returns the version before the current one (AWSPREVIOUS),
// with the metadata it was written with, or an error wrapping
// secret.ErrNotFound when there is none. It is never cached.
func (e *Engine) ReadPrevious(ctx context.Context, p vault.Path) (*vault.Record, error) {
	return e.readVersion(ctx, p, &secretsmanager.GetSecretValueInput{VersionStage: aws.String(stagePrevious)})
}

// ReadVersion returns the version with ID id (a Record.Version seen
// earlier). It is never cached.
func (e *Engine) ReadVersion(ctx context.Context, p vault.Path, id string) (*vault.Record, error) {
	return e.readVersion(ctx, p, &secretsmanager.GetSecretValueInput{VersionId: aws.String(id)})
}

func (e *Engine) readVersion(ctx context.Context, p vault.Path, in *secretsmanager.GetSecretValueInput) (*vault.Record, error) {
	if err := e.checkName("read", p); err != nil {
		return nil, err
	}
	in.SecretId = aws.String(e.name(p))
	out, err := e.client.GetSecretValue(ctx, in)
	if err != nil {
		return nil, mapErr("read "+p.String(), err)
	}
	rec, err := decodeRecord(p, out.SecretString, out.SecretBinary)
	secret.Wipe(out.SecretBinary)
	if err != nil {
		return nil, fmt.Errorf("awssm: %w", err)
	}
	rec.Version = aws.ToString(out.VersionId)
	return rec, nil
}

// state is what DescribeSecret says about a secret.
type state struct {
	deleted bool
	version string // AWSCURRENT's version ID
	meta    *stored
}

// describe returns the secret's state, nil when there is no such secret.
func (e *Engine) describe(ctx context.Context, p vault.Path) (*state, error) {
	if err := e.checkName("describe", p); err != nil {
		return nil, err
	}
	out, err := e.client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(e.name(p))})
	if code, _ := apiCode(err); code == "ResourceNotFoundException" {
		return nil, nil
	}
	if err != nil {
		return nil, mapErr("describe "+p.String(), err)
	}
	st := &state{deleted: out.DeletedDate != nil}
	s, ours := decodeDescription(aws.ToString(out.Description))
	for id, stages := range out.VersionIdsToStages {
		for _, stage := range stages {
			if stage == stageCurrent {
				st.version = id
			}
		}
	}
	switch {
	case st.version == "" && ours:
		// The service did not list the versions (an emulator): the
		// Description says which version its metadata belongs to.
		st.version = s.Version
		st.meta = &s
	case ours && s.Version == st.version:
		st.meta = &s
	}
	// Otherwise another tool wrote the current version and the
	// Description, if ours, describes an older one: no metadata.
	return st, nil
}

// Stat returns the current version's ID and metadata from DescribeSecret,
// without reading the value.
func (e *Engine) Stat(ctx context.Context, p vault.Path) (*vault.Record, error) {
	st, err := e.describe(ctx, p)
	if err != nil {
		return nil, err
	}
	if st == nil || st.deleted {
		return nil, fmt.Errorf("awssm: stat %s: %w", p, secret.ErrNotFound)
	}
	rec := &vault.Record{Metadata: vault.Metadata{Path: p}, Version: st.version}
	if st.meta != nil {
		if err := st.meta.fill(&rec.Metadata); err != nil {
			return nil, fmt.Errorf("awssm: stat %s: description: %v: %w", p, err, secret.ErrCorrupt)
		}
	}
	return rec, nil
}

// Write stores rec as a new version if cond holds. See the package doc for
// how a lost race is detected.
func (e *Engine) Write(ctx context.Context, rec *vault.Record, cond vault.Condition) error {
	p := rec.Path
	key := p.String()
	e.cache.Delete(key)
	defer e.cache.Delete(key)
	st, err := e.describe(ctx, p)
	if err != nil {
		return err
	}
	var cur *vault.Record
	if st != nil && !st.deleted {
		cur = &vault.Record{Version: st.version}
	}
	if !cond.Holds(cur) {
		return fmt.Errorf("awssm: write %s: %w", p, vault.ErrConflict)
	}
	var token string
	if st == nil {
		token = randomToken()
	} else {
		token = nextToken(e.name(p), st.version)
	}
	body, desc, err := encodeRecord(rec, token)
	if err != nil {
		return fmt.Errorf("awssm: write %s: %w", p, err)
	}
	defer secret.Wipe(body)
	// The SDK wants a string; it is gone when the request is sent.
	str := string(body)
	switch {
	case st == nil:
		out, err := e.client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name:               aws.String(e.name(p)),
			ClientRequestToken: aws.String(token),
			Description:        aws.String(desc),
			SecretString:       aws.String(str),
		})
		if scheduledForDeletion(err) {
			// Deleted by another writer since the describe.
			return fmt.Errorf("awssm: write %s: %w", p, vault.ErrConflict)
		}
		if err != nil {
			return mapErr("create "+p.String(), err)
		}
		if id := aws.ToString(out.VersionId); id != "" && id != token {
			// A service that ignored the token (an emulator; AWS uses it
			// as the version ID): point the Description at the version
			// it chose, or the metadata would read as another tool's.
			d, err := json.Marshal(metaOf(rec, id))
			if err != nil {
				return err
			}
			_, err = e.client.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{
				SecretId:    aws.String(e.name(p)),
				Description: aws.String(descriptionPrefix + string(d)),
			})
			return mapErr("create "+p.String(), err)
		}
		return nil
	case st.deleted:
		if _, err := e.client.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(e.name(p))}); err != nil {
			return mapErr("restore "+p.String(), err)
		}
	}
	_, err = e.client.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{
		SecretId:           aws.String(e.name(p)),
		ClientRequestToken: aws.String(token),
		Description:        aws.String(desc),
		SecretString:       aws.String(str),
	})
	if code, _ := apiCode(err); code == "ResourceExistsException" {
		// Another writer that started from the same version took this
		// version ID first.
		return fmt.Errorf("awssm: write %s: %w (%w)", p, vault.ErrConflict, err)
	}
	if code, _ := apiCode(err); code == "ResourceNotFoundException" || scheduledForDeletion(err) {
		// Deleted by another writer since the describe.
		return fmt.Errorf("awssm: write %s: %w", p, vault.ErrConflict)
	}
	return mapErr("update "+p.String(), err)
}

// Delete schedules the secret's deletion (or deletes it at once with
// WithForceDelete).
func (e *Engine) Delete(ctx context.Context, p vault.Path) error {
	key := p.String()
	e.cache.Delete(key)
	defer e.cache.Delete(key)
	st, err := e.describe(ctx, p)
	if err != nil {
		return err
	}
	if st == nil || st.deleted {
		return fmt.Errorf("awssm: delete %s: %w", p, secret.ErrNotFound)
	}
	in := &secretsmanager.DeleteSecretInput{SecretId: aws.String(e.name(p))}
	if e.o.forceDelete {
		in.ForceDeleteWithoutRecovery = aws.Bool(true)
	} else {
		in.RecoveryWindowInDays = aws.Int64(int64(e.o.recoveryDays))
	}
	_, err = e.client.DeleteSecret(ctx, in)
	return mapErr("delete "+p.String(), err)
}

// List returns the metadata of the secrets under scope from ListSecrets
// (the Descriptions), never reading a value. Secrets scheduled for
// deletion and names under the prefix that are not vault paths are left
// out.
func (e *Engine) List(ctx context.Context, scope string) ([]vault.Metadata, error) {
	in := &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(100)}
	if f := e.o.prefix + scope; f != "" {
		in.Filters = []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{f}}}
	}
	var list []vault.Metadata
	pages := secretsmanager.NewListSecretsPaginator(e.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, mapErr("list", err)
		}
		for _, s := range page.SecretList {
			if s.DeletedDate != nil {
				continue
			}
			rest, ok := strings.CutPrefix(aws.ToString(s.Name), e.o.prefix)
			if !ok {
				continue
			}
			p, err := vault.ParsePath(rest)
			if err != nil || !p.In(scope) {
				continue
			}
			m := vault.Metadata{Path: p}
			if d, ours := decodeDescription(aws.ToString(s.Description)); ours && describesCurrent(d, s.SecretVersionsToStages) {
				if err := d.fill(&m); err != nil {
					return nil, fmt.Errorf("awssm: list: %s: description: %v: %w", p, err, secret.ErrCorrupt)
				}
			}
			list = append(list, m)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Path.String() < list[j].Path.String() })
	return list, nil
}

// describesCurrent: the Description's metadata belongs to the current
// version (true when the service does not say which that is).
func describesCurrent(d stored, stages map[string][]string) bool {
	if len(stages) == 0 {
		return true
	}
	for _, s := range stages[d.Version] {
		if s == stageCurrent {
			return true
		}
	}
	return false
}

// nextToken is the version ID a writer that starts from version prev asks
// for: the same for every writer starting there, so at most one of them
// gets it.
func nextToken(name, prev string) string {
	h := sha256.Sum256([]byte("moneypenny-vault-version\x00" + name + "\x00" + prev))
	return uuidString(h[:16])
}

func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return uuidString(b[:])
}

// uuidString formats 16 bytes as a version-4-shaped UUID, the form
// Secrets Manager recommends for ClientRequestToken.
func uuidString(b []byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
