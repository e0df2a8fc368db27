package accesstokens

// The BITBUCKET_* environment: the one reader of it, for NewClientFromEnv
// and for programs (the accesstokens command) that take the same variables.

import (
	"crypto/x509"
	"io"
	"os"
	"strconv"
)

// The variables ReadEnvironment reads.
const (
	EnvURL          = "BITBUCKET_URL"           // the base URL
	EnvToken        = "BITBUCKET_TOKEN"         // an access token, sent as Bearer
	EnvUsername     = "BITBUCKET_USERNAME"      // with EnvPassword: Basic auth
	EnvPassword     = "BITBUCKET_PASSWORD"      // a password or personal access token
	EnvCACert       = "BITBUCKET_CA_CERT"       // a PEM file of certificates trusted besides the system's
	EnvInsecureHTTP = "BITBUCKET_INSECURE_HTTP" // 1 or true: WithInsecureHTTP
)

// The credentials Environment.Credential names.
const (
	CredentialToken = EnvToken                        // BITBUCKET_TOKEN, as Bearer
	CredentialBasic = EnvUsername + "/" + EnvPassword // BITBUCKET_USERNAME and BITBUCKET_PASSWORD, as Basic
)

// maxCACertBytes bounds the BITBUCKET_CA_CERT file: a bundle of certificates
// is kilobytes, and a wrong path (a device, a log) must not be read whole.
const maxCACertBytes = 1 << 20

// Environment is what the BITBUCKET_* variables say about the server and
// how to reach it, as ReadEnvironment reads them. It holds no secret itself:
// Credentials is an Option, which fmt prints as an address.
type Environment struct {
	// URL is BITBUCKET_URL, "" when it is not set.
	URL string
	// Credential names the credential Credentials uses: CredentialToken
	// (BITBUCKET_TOKEN wins when both are set), CredentialBasic, or "" when
	// neither is set.
	Credential string
	// Ignored names a credential that is set but not used: CredentialBasic
	// when BITBUCKET_TOKEN is set as well, else "". A program can say so.
	Ignored string
	// Credentials is WithToken or WithBasicAuth with the credential, nil
	// when none is set.
	Credentials Option
	// Connection are the other options the variables ask for: WithRootCAs
	// for BITBUCKET_CA_CERT (the system's roots and the file's
	// certificates), WithInsecureHTTP for BITBUCKET_INSECURE_HTTP.
	Connection []Option
}

// Options are Credentials (when set) and Connection, for NewClient.
func (e *Environment) Options() []Option {
	if e.Credentials == nil {
		return append([]Option(nil), e.Connection...)
	}
	return append([]Option{e.Credentials}, e.Connection...)
}

// ReadEnvironment reads the BITBUCKET_* variables through getenv (os.Getenv,
// or a map's lookup in a test): BITBUCKET_URL; BITBUCKET_TOKEN (Bearer) or
// BITBUCKET_USERNAME with BITBUCKET_PASSWORD (Basic), the token winning when
// both are set; BITBUCKET_CA_CERT, a PEM file of certificates trusted
// besides the system's roots (for an internal certificate authority); and
// BITBUCKET_INSECURE_HTTP=1 (or true), which allows credentials over plain
// http to a host that is not loopback. Every mistake is an
// *InvalidArgumentError naming the variable; none quotes a secret.
func ReadEnvironment(getenv func(string) string) (*Environment, error) {
	if getenv == nil {
		return nil, invalidArg("getenv", "must not be nil")
	}
	env := &Environment{URL: getenv(EnvURL)}
	if err := env.readCredentials(getenv); err != nil {
		return nil, err
	}
	if path := getenv(EnvCACert); path != "" {
		pool, err := readCACerts(path)
		if err != nil {
			return nil, err
		}
		env.Connection = append(env.Connection, WithRootCAs(pool))
	}
	if v := getenv(EnvInsecureHTTP); v != "" {
		insecure, err := strconv.ParseBool(v)
		if err != nil {
			return nil, invalidArg(EnvInsecureHTTP, "must be 1 or 0 (true or false), got %q", truncate(v, 20))
		}
		if insecure {
			env.Connection = append(env.Connection, WithInsecureHTTP())
		}
	}
	return env, nil
}

// readCredentials picks the credential, BITBUCKET_TOKEN first.
func (e *Environment) readCredentials(getenv func(string) string) error {
	token, user, pass := getenv(EnvToken), getenv(EnvUsername), getenv(EnvPassword)
	basic := user != "" || pass != ""
	switch {
	case basic && user == "":
		return invalidArg(EnvUsername, "is not set but %s is", EnvPassword)
	case basic && pass == "":
		return invalidArg(EnvPassword, "is not set but %s is", EnvUsername)
	case token != "":
		e.Credential, e.Credentials = CredentialToken, WithToken(token)
		if basic {
			e.Ignored = CredentialBasic
		}
	case basic:
		e.Credential, e.Credentials = CredentialBasic, WithBasicAuth(user, pass)
	}
	return nil
}

// readCACerts is the system's roots with the certificates of the PEM file
// at path added.
func readCACerts(path string) (*x509.CertPool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, invalidArg(EnvCACert, "cannot be read: %v", err)
	}
	defer f.Close()
	pem, err := io.ReadAll(io.LimitReader(f, maxCACertBytes+1))
	if err != nil {
		return nil, invalidArg(EnvCACert, "cannot be read: %v", err)
	}
	if len(pem) > maxCACertBytes {
		return nil, invalidArg(EnvCACert, "%s is larger than %d bytes: not a file of certificates", truncate(path, 80), maxCACertBytes)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, invalidArg(EnvCACert, "%s holds no PEM certificate", truncate(path, 80))
	}
	return pool, nil
}

// NewClientFromEnv reads BITBUCKET_URL, and BITBUCKET_TOKEN (Bearer) or
// BITBUCKET_USERNAME with BITBUCKET_PASSWORD (Basic), BITBUCKET_CA_CERT and
// BITBUCKET_INSECURE_HTTP, as ReadEnvironment does; opts apply after the
// environment, so they can override it.
func NewClientFromEnv(opts ...Option) (*Client, error) {
	if os.Getenv(EnvURL) == "" {
		return nil, invalidArg(EnvURL, "is not set")
	}
	env, err := ReadEnvironment(os.Getenv)
	if err != nil {
		return nil, err
	}
	return NewClient(env.URL, append(env.Options(), opts...)...)
}
