package main

import (
	"crypto/x509"
	"net/url"
	"os"
	"strings"
)

// Where the server is and how its certificate is trusted: --url (or
// BITBUCKET_URL) checked before any request, so that a mistake is a usage
// error that says what to write; the CA file (--ca-cert or
// BITBUCKET_CA_CERT) as identify --ask-server's own client trusts it.

// checkBaseURL refuses the two usual mistakes in a base URL: no scheme
// ("bitbucket.example.com:7990"), and a REST path ("https://host/rest",
// "https://host/rest/api/1.0"), which the client would add a second time.
// Everything else is left to the SDK's own checks.
func checkBaseURL(raw string) error {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "://") {
		return usageError("--url/BITBUCKET_URL: %s", noSchemeAdvice(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil // the SDK says what is wrong with it
	}
	segments := strings.Split(u.EscapedPath(), "/")
	for i, seg := range segments {
		if strings.EqualFold(seg, "rest") {
			base := *u
			base.RawPath = ""
			base.Path, _ = url.PathUnescape(strings.Join(segments[:i], "/"))
			base.RawQuery, base.Fragment = "", ""
			return usageError("--url/BITBUCKET_URL %q: give the server's base URL, without /rest and what follows: write %s",
				u.Redacted(), base.Redacted())
		}
	}
	return nil
}

// noSchemeAdvice says what to write for a URL without a scheme, quoting it
// only when it can be shown without a password in it.
func noSchemeAdvice(raw string) string {
	withScheme, err := url.Parse("https://" + raw)
	if err != nil || withScheme.Host == "" {
		return "the URL has no scheme: write it as https://HOST[:PORT][/CONTEXT-PATH]"
	}
	return "the URL has no scheme: write " + withScheme.Redacted() + " (or http:// for a server without TLS)"
}

// askCAPool is the trust of identify --ask-server's own client, whose
// transport (it reads the answer's headers) cannot take the SDK's
// WithRootCAs: the system's pool plus the certificates of the CA file the
// run's client trusts; nil when there is none, or when the file cannot be
// read again (Connect, through the SDK's reader, has already refused a bad one).
func askCAPool(caFile string) *x509.CertPool {
	if caFile == "" {
		return nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil { // no system pool on this platform: trust the file alone
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil
	}
	return pool
}
