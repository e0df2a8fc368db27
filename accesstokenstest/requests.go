// The record of answered requests (Fake.Requests), without credentials, and its bound.

package accesstokenstest

import "strings"

// DefaultRequestHistory is how many of the most recent requests [Fake.Requests] keeps unless
// [WithRequestHistory] says otherwise.
const DefaultRequestHistory = 10_000

// WithRequestLog calls fn after each request has been answered, with the same record
// [Fake.Requests] keeps (never a credential). fn may be called from many goroutines at once.
func WithRequestLog(fn func(Request)) Option { return func(c *config) { c.requestLog = fn } }

// WithRequestHistory keeps only the n most recent requests for [Fake.Requests]
// (default [DefaultRequestHistory]; n < 1: keep every one, which grows without bound).
func WithRequestHistory(n int) Option { return func(c *config) { c.keepLast = max(n, 0) } }

// CredentialKind says how a request authenticated.
type CredentialKind string

// The kinds of credential a [Request] can carry.
const (
	CredentialNone          CredentialKind = "none"           // no Authorization header
	CredentialBasicPassword CredentialKind = "basic-password" // Basic with the user's password
	CredentialBasicToken    CredentialKind = "basic-token"    // Basic with a personal token as the password
	CredentialBearer        CredentialKind = "bearer"         // Bearer with a live token
	CredentialInvalid       CredentialKind = "invalid"        // a header that did not authenticate: wrong password, unknown, expired or deleted token, deactivated user, malformed
)

// Request is the record of one request the fake answered. It never holds a credential value:
// the Authorization header is reduced to its [CredentialKind], and every secret the fake minted
// (that it still remembers, see [Fake.MintedSecrets]) and every user's password is replaced by
// [Redacted] wherever it appears in RawPath or Query, written plainly or percent-encoded (in Query
// also with "+" for a space). A password that equals a user's name, as in the demo world, is left
// alone there, because it is that name; a password that is part of the API's own path words (say
// "re", in "repos") would blank those words too, so give test users passwords that look like
// passwords. A request longer than [MaxRequestTarget] is recorded with RawPath and Query cut to
// their first bytes and marked (see [Truncated]).
type Request struct {
	Method     string         `json:"method"`
	RawPath    string         `json:"rawPath"`    // escaped path as received, context path included, without the query; credentials redacted
	Query      string         `json:"query"`      // raw query string; credentials redacted
	Credential CredentialKind `json:"credential"` // how the request authenticated
	User       string         `json:"user"`       // who authenticated ("" if nobody); a bot's name for project and repository tokens
	Status     int            `json:"status"`     // status answered; 0 when the connection was dropped or the client went away first
	Faulted    bool           `json:"faulted"`    // an injected fault matched the request (it may only have delayed it)
}

// Truncated ends a recorded RawPath or Query that was cut because the request was too long.
const Truncated = "[TRUNCATED]"

// recordedPrefix is how much of an over-long path or query a record keeps.
const recordedPrefix = 256

// Requests returns the requests answered so far, in the order they finished
// (only the most recent ones, see [WithRequestHistory]).
func (f *Fake) Requests() []Request {
	f.recMu.Lock()
	defer f.recMu.Unlock()
	reqs := f.requests
	if n := f.cfg.keepLast; n > 0 && len(reqs) > n {
		reqs = reqs[len(reqs)-n:]
	}
	return append([]Request(nil), reqs...)
}

// ResetRequests forgets the recorded requests.
func (f *Fake) ResetRequests() {
	f.recMu.Lock()
	defer f.recMu.Unlock()
	f.requests = nil
}

func (f *Fake) record(rec Request) {
	if len(rec.RawPath)+len(rec.Query) > MaxRequestTarget {
		rec.RawPath, rec.Query = shorten(rec.RawPath, f.cfg.unprefixedSecrets), shorten(rec.Query, f.cfg.unprefixedSecrets)
	}
	f.mu.Lock()
	rec.RawPath = f.redactLocked(rec.RawPath, false)
	rec.Query = f.redactLocked(rec.Query, true)
	f.mu.Unlock()

	f.recMu.Lock()
	f.requests = append(f.requests, rec)
	if n := f.cfg.keepLast; n > 0 && len(f.requests) >= 2*n {
		// Drop the oldest in one go, now and then, so recording stays O(1) amortised.
		f.requests = append(f.requests[:0:0], f.requests[len(f.requests)-n:]...)
	}
	f.recMu.Unlock()
	if f.cfg.requestLog != nil {
		f.cfg.requestLog(rec)
	}
}

// shorten keeps the start of an over-long path or query. The cut may split a secret, so anything
// from the last "BBDC" on (written plainly or with escapes) is dropped as well; with unprefixed
// secrets, the run of base64 characters the cut ends in.
func shorten(s string, unprefixed bool) string {
	if len(s) <= recordedPrefix {
		return s
	}
	s = s[:recordedPrefix]
	v := decode(s, false)
	cut := strings.LastIndex(v.text, "BBDC")
	if unprefixed {
		cut = len(v.text)
		for cut > 0 && isBase64(v.text[cut-1]) {
			cut--
		}
	}
	if cut >= 0 {
		s = s[:v.offset(cut)]
	}
	return s + Truncated
}

// isBase64 reports whether c is a character of standard base64, padding included.
func isBase64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '='
}
