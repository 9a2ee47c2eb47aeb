package hcvault

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// Defaults of Config.
const (
	DefaultMount    = "secret"
	DefaultPrefix   = "moneypenny"
	DefaultCacheTTL = 5 * time.Minute
	DefaultTimeout  = 30 * time.Second
)

// Config says which KV v2 mount of which Vault server holds the secrets and
// how to reach it. Open fills the zero fields with the defaults; FromEnv
// builds one from the environment and the config file.
type Config struct {
	// Address is the server's URL, "https://vault.example.com:8200". Plain
	// http is accepted only for a loopback address (a dev server, a local
	// Vault Agent), so a token never crosses a network in clear.
	Address string
	// Mount is the KV v2 mount's path, "secret" by default.
	Mount string
	// Prefix is the folder under the mount that holds the secrets,
	// "moneypenny" by default; NoPrefix puts them at the mount's root.
	// Path org/acme/key is stored at <mount>/data/<prefix>/org/acme/key.
	Prefix   string
	NoPrefix bool
	// Namespace is the Vault Enterprise namespace (the X-Vault-Namespace
	// header), empty for none.
	Namespace string
	// Token authenticates every request (X-Vault-Token). It prints as
	// [REDACTED]. The engine keeps its own copy.
	Token *secret.Value

	// CAFile is a PEM bundle of the CAs that sign the server's
	// certificate, instead of the system roots; CAPath a directory of
	// them. ClientCert and ClientKey are PEM files for TLS client
	// authentication. TLSServerName overrides the name the certificate is
	// checked against.
	CAFile, CAPath        string
	ClientCert, ClientKey string
	TLSServerName         string

	// CacheTTL is how long a value read is served from memory: zero means
	// DefaultCacheTTL, a negative duration turns the cache off.
	CacheTTL time.Duration
	// Timeout bounds each request when the caller's context has no
	// earlier deadline: zero means DefaultTimeout.
	Timeout time.Duration
	// HTTPClient replaces the client Open builds from the TLS settings
	// (for a custom transport or proxy). Its Timeout is left as it is.
	HTTPClient *http.Client
}

// Environment variables FromEnv reads. Each MONEYPENNY_VAULT_* variable
// overrides the VAULT_* one the Vault CLI uses, which overrides the config
// file.
var envNames = []struct{ ours, vaults, key string }{
	{"MONEYPENNY_VAULT_ADDR", "VAULT_ADDR", "address"},
	{"MONEYPENNY_VAULT_TOKEN", "VAULT_TOKEN", "token"},
	{"MONEYPENNY_VAULT_NAMESPACE", "VAULT_NAMESPACE", "namespace"},
	{"MONEYPENNY_VAULT_CACERT", "VAULT_CACERT", "ca_file"},
	{"MONEYPENNY_VAULT_CAPATH", "VAULT_CAPATH", "ca_path"},
	{"MONEYPENNY_VAULT_CLIENT_CERT", "VAULT_CLIENT_CERT", "client_cert"},
	{"MONEYPENNY_VAULT_CLIENT_KEY", "VAULT_CLIENT_KEY", "client_key"},
	{"MONEYPENNY_VAULT_TLS_SERVER_NAME", "VAULT_TLS_SERVER_NAME", "tls_server_name"},
	{"MONEYPENNY_VAULT_MOUNT", "", "mount"},
	{"MONEYPENNY_VAULT_PREFIX", "", "prefix"},
}

// fileSection is the engine's object in the config file:
//
//	{"vault": {"engine": "hcvault", "hcvault": {
//	    "address": "https://vault.example.com:8200",
//	    "mount": "secret", "prefix": "moneypenny", "namespace": "team-a",
//	    "token_file": "/run/secrets/vault-token",
//	    "ca_file": "/etc/ssl/vault-ca.pem",
//	    "cache_ttl": "5m", "timeout": "30s"}}}
type fileSection struct {
	Address       string  `json:"address"`
	Mount         string  `json:"mount"`
	Prefix        *string `json:"prefix"`
	Namespace     string  `json:"namespace"`
	Token         string  `json:"token"`
	TokenFile     string  `json:"token_file"`
	CAFile        string  `json:"ca_file"`
	CAPath        string  `json:"ca_path"`
	ClientCert    string  `json:"client_cert"`
	ClientKey     string  `json:"client_key"`
	TLSServerName string  `json:"tls_server_name"`
	CacheTTL      string  `json:"cache_ttl"`
	Timeout       string  `json:"timeout"`
}

// FromEnv builds a Config from the environment (getenv; nil means
// os.Getenv) and the engine's object of the config file (section, nil for
// none), the first that says something winning:
//
//	setting      variables (first wins), then the config file key
//	address      MONEYPENNY_VAULT_ADDR, VAULT_ADDR, "address"
//	token        MONEYPENNY_VAULT_TOKEN, VAULT_TOKEN, "token", the file
//	             "token_file" names, then ~/.vault-token (the Vault CLI's)
//	namespace    MONEYPENNY_VAULT_NAMESPACE, VAULT_NAMESPACE, "namespace"
//	CA bundle    MONEYPENNY_VAULT_CACERT, VAULT_CACERT, "ca_file"
//	CA directory MONEYPENNY_VAULT_CAPATH, VAULT_CAPATH, "ca_path"
//	client cert  MONEYPENNY_VAULT_CLIENT_CERT, VAULT_CLIENT_CERT, "client_cert"
//	client key   MONEYPENNY_VAULT_CLIENT_KEY, VAULT_CLIENT_KEY, "client_key"
//	server name  MONEYPENNY_VAULT_TLS_SERVER_NAME, VAULT_TLS_SERVER_NAME, "tls_server_name"
//	mount        MONEYPENNY_VAULT_MOUNT, "mount" (default secret)
//	prefix       MONEYPENNY_VAULT_PREFIX, "prefix" (default moneypenny; "" for none)
//	cache        "cache_ttl": a duration, "0" turns the cache off (default 5m)
//	timeout      "timeout": a duration (default 30s)
//
// A token in the config file is read as written; prefer a token file or
// the environment. An unknown key is an error.
func FromEnv(section json.RawMessage, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var fs fileSection
	if len(bytes.TrimSpace(section)) > 0 && string(bytes.TrimSpace(section)) != "null" {
		dec := json.NewDecoder(bytes.NewReader(section))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fs); err != nil {
			return Config{}, fmt.Errorf("hcvault: config %q object: %v: %w", Name, err, secret.ErrInvalidArgument)
		}
	}
	fromFile := map[string]string{
		"address": fs.Address, "token": fs.Token, "namespace": fs.Namespace,
		"ca_file": fs.CAFile, "ca_path": fs.CAPath, "client_cert": fs.ClientCert,
		"client_key": fs.ClientKey, "tls_server_name": fs.TLSServerName, "mount": fs.Mount,
	}
	set := map[string]string{}
	prefixSet := fs.Prefix != nil
	if prefixSet {
		fromFile["prefix"] = *fs.Prefix
	}
	for _, n := range envNames {
		v, ok := getenvSet(getenv, n.ours)
		if !ok && n.vaults != "" {
			v, ok = getenvSet(getenv, n.vaults)
		}
		if ok {
			if n.key == "prefix" {
				prefixSet = true
			}
			set[n.key] = v
			continue
		}
		set[n.key] = fromFile[n.key]
	}
	c := Config{
		Address: set["address"], Mount: set["mount"], Namespace: set["namespace"],
		CAFile: set["ca_file"], CAPath: set["ca_path"], ClientCert: set["client_cert"],
		ClientKey: set["client_key"], TLSServerName: set["tls_server_name"],
	}
	if prefixSet {
		c.Prefix = set["prefix"]
		c.NoPrefix = strings.Trim(c.Prefix, "/") == ""
	}
	if tok := strings.TrimSpace(set["token"]); tok != "" {
		c.Token = secret.NewString(tok)
	} else {
		file := fs.TokenFile
		if file == "" {
			if home := getenv("HOME"); home != "" {
				file = filepath.Join(home, ".vault-token")
			}
		}
		if file != "" {
			tok, err := readTokenFile(file, fs.TokenFile != "")
			if err != nil {
				return Config{}, err
			}
			c.Token = tok
		}
	}
	var err error
	if c.CacheTTL, err = parseDuration("cache_ttl", fs.CacheTTL); err != nil {
		return Config{}, err
	}
	if fs.CacheTTL != "" && c.CacheTTL == 0 {
		c.CacheTTL = -1
	}
	if c.Timeout, err = parseDuration("timeout", fs.Timeout); err != nil {
		return Config{}, err
	}
	return c, nil
}

// getenvSet reports a variable's value and whether it is set non-empty:
// getenv cannot tell an empty variable from a missing one, so an empty one
// counts as unset (MONEYPENNY_VAULT_PREFIX="" therefore falls through to
// the config file; "/" says "no prefix").
func getenvSet(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

func parseDuration(key, s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("hcvault: config %q: %q is not a duration such as 5m: %w", key, s, secret.ErrInvalidArgument)
	}
	return d, nil
}

// maxTokenFile bounds a token file: tokens are about 100 bytes.
const maxTokenFile = 64 << 10

// readTokenFile reads a token file; a missing file is no error unless the
// config named it.
func readTokenFile(path string, named bool) (*secret.Value, error) {
	f, err := os.Open(path)
	if err != nil {
		if !named && os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("hcvault: token file: %w", err)
	}
	defer f.Close()
	b := make([]byte, maxTokenFile+1)
	n, err := io.ReadFull(f, b)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	if err != nil {
		secret.Wipe(b)
		return nil, fmt.Errorf("hcvault: token file %s: %w", path, err)
	}
	if n > maxTokenFile {
		secret.Wipe(b)
		return nil, fmt.Errorf("hcvault: token file %s is over %d bytes: %w", path, maxTokenFile, secret.ErrInvalidArgument)
	}
	tok := bytes.TrimSpace(b[:n])
	if len(tok) == 0 {
		secret.Wipe(b)
		if named {
			return nil, fmt.Errorf("hcvault: token file %s is empty: %w", path, secret.ErrInvalidArgument)
		}
		return nil, nil
	}
	v := secret.New(append([]byte(nil), tok...))
	secret.Wipe(b)
	return v, nil
}

// settings is a checked Config.
type settings struct {
	base      *url.URL // scheme://host[:port][/path], no trailing slash
	mount     string   // escaped, no slashes at either end
	prefix    string   // "" or escaped segments with a trailing "/"
	namespace string
	token     string
	cacheTTL  time.Duration
	timeout   time.Duration
	client    *http.Client
}

func (c *Config) check() (*settings, error) {
	if c.Address == "" {
		return nil, fmt.Errorf("hcvault: no server address: set MONEYPENNY_VAULT_ADDR or VAULT_ADDR, or \"address\" in the config file: %w", secret.ErrInvalidArgument)
	}
	u, err := url.Parse(strings.TrimRight(c.Address, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("hcvault: address %q: want https://host[:port]: %w", c.Address, secret.ErrInvalidArgument)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("hcvault: address %s: plain http is accepted only on a loopback address (the token would travel in clear); use https: %w", u.Redacted(), secret.ErrInvalidArgument)
	}
	s := &settings{base: u, namespace: strings.Trim(c.Namespace, "/"), cacheTTL: c.CacheTTL, timeout: c.Timeout}
	mount := c.Mount
	if mount == "" {
		mount = DefaultMount
	}
	if s.mount, err = escapeSegments("mount", mount); err != nil || s.mount == "" {
		return nil, fmt.Errorf("hcvault: mount %q: %w", mount, secret.ErrInvalidArgument)
	}
	prefix := c.Prefix
	if prefix == "" && !c.NoPrefix {
		prefix = DefaultPrefix
	}
	if s.prefix, err = escapeSegments("prefix", prefix); err != nil {
		return nil, fmt.Errorf("hcvault: prefix %q: %w", prefix, secret.ErrInvalidArgument)
	}
	if s.prefix != "" {
		s.prefix += "/"
	}
	if c.Token.Len() == 0 {
		return nil, fmt.Errorf("hcvault: no token: set MONEYPENNY_VAULT_TOKEN or VAULT_TOKEN, \"token_file\" in the config file, or log in with the vault CLI (~/.vault-token): %w", secret.ErrInvalidArgument)
	}
	tok := strings.TrimSpace(string(c.Token.Bytes()))
	if strings.ContainsAny(tok, "\r\n\x00") {
		return nil, fmt.Errorf("hcvault: the token holds a line break or NUL: %w", secret.ErrInvalidArgument)
	}
	s.token = tok
	if s.cacheTTL == 0 {
		s.cacheTTL = DefaultCacheTTL
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if c.HTTPClient != nil {
		s.client = c.HTTPClient
		return s, nil
	}
	tc, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	tr.MaxIdleConnsPerHost = 16
	s.client = &http.Client{Transport: tr, CheckRedirect: checkRedirect}
	return s, nil
}

// checkRedirect follows a standby's redirect to the active node, but never
// from https to http, where the token would travel in clear.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("stopped after 10 redirects")
	}
	if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("refusing a redirect from https to %s", req.URL.Redacted())
	}
	return nil
}

func (c *Config) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.TLSServerName}
	if c.CAFile != "" || c.CAPath != "" {
		pool := x509.NewCertPool()
		var files []string
		if c.CAFile != "" {
			files = append(files, c.CAFile)
		}
		if c.CAPath != "" {
			ents, err := os.ReadDir(c.CAPath)
			if err != nil {
				return nil, fmt.Errorf("hcvault: CA directory: %w", err)
			}
			for _, e := range ents {
				if !e.IsDir() {
					files = append(files, filepath.Join(c.CAPath, e.Name()))
				}
			}
		}
		n := 0
		for _, f := range files {
			pem, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("hcvault: CA file: %w", err)
			}
			if pool.AppendCertsFromPEM(pem) {
				n++
			} else if f == c.CAFile {
				return nil, fmt.Errorf("hcvault: CA file %s holds no PEM certificate: %w", f, secret.ErrInvalidArgument)
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("hcvault: no PEM certificate in CA directory %s: %w", c.CAPath, secret.ErrInvalidArgument)
		}
		tc.RootCAs = pool
	}
	if (c.ClientCert == "") != (c.ClientKey == "") {
		return nil, fmt.Errorf("hcvault: a client certificate needs both a certificate and a key file: %w", secret.ErrInvalidArgument)
	}
	if c.ClientCert != "" {
		cert, err := tls.LoadX509KeyPair(c.ClientCert, c.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("hcvault: client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// escapeSegments checks and escapes a slash-separated mount or prefix.
func escapeSegments(what, s string) (string, error) {
	s = strings.Trim(s, "/")
	if s == "" {
		return "", nil
	}
	segs := strings.Split(s, "/")
	for i, seg := range segs {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("%s has an empty, . or .. segment", what)
		}
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/"), nil
}
