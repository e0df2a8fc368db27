package accesstokens

// Errors: the *Error of a non-2xx answer, the sentinels it matches, and the
// errors the client makes itself (invalid arguments, lost outcomes).

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// Sentinel errors. An *Error matches, through errors.Is, the sentinel of its
// status class and no other status sentinel; a status with no sentinel here
// (405, 422, a 3xx) matches none. A 401 or 403 may also match
// ErrAuthentication or ErrNotPermitted, and a write whose answer was lost
// ErrOutcomeUnknown. Validation failures match ErrInvalidArgument.
var (
	// ErrBadRequest matches a 400 answer: the server rejected the request's content.
	ErrBadRequest = errors.New("accesstokens: bad request")
	// ErrUnauthorized matches a 401 answer. Bitbucket uses 401 both for failed
	// authentication and for "you are not permitted to do this";
	// ErrAuthentication and ErrNotPermitted tell which.
	ErrUnauthorized = errors.New("accesstokens: unauthorized")
	// ErrForbidden matches a 403 answer.
	ErrForbidden = errors.New("accesstokens: forbidden")
	// ErrNotFound matches a 404 answer: unknown user, project, repository or token.
	ErrNotFound = errors.New("accesstokens: not found")
	// ErrConflict matches a 409 answer.
	ErrConflict = errors.New("accesstokens: conflict")
	// ErrRateLimited matches a 429 answer; Error.RetryAfter says how long to wait.
	ErrRateLimited = errors.New("accesstokens: rate limited")
	// ErrServer matches any 5xx answer.
	ErrServer = errors.New("accesstokens: server error")
	// ErrInvalidArgument matches an input the client refused before sending
	// anything. The error also names the offending field; see InvalidArgumentError.
	ErrInvalidArgument = errors.New("accesstokens: invalid argument")

	// ErrOutcomeUnknown: a write (create, update, delete, policy change) may or may not have taken
	// effect: the request was sent and its answer was lost (reset, timeout, 502/504 on a create, a 2xx
	// that could not be read). It matches alongside the error's own status sentinel, if any.
	ErrOutcomeUnknown = errors.New("accesstokens: outcome unknown")
	// ErrAuthentication matches a 401 whose answer says the credentials were wrong or missing.
	// It also matches ErrUnauthorized.
	ErrAuthentication = errors.New("accesstokens: authentication failed")
	// ErrNotPermitted matches a 401 or 403 whose answer says the user may not do this. It also
	// matches ErrUnauthorized (or ErrForbidden for a 403).
	ErrNotPermitted = errors.New("accesstokens: not permitted")
	// ErrAttemptTimeout matches the error of a call whose attempt had no whole answer (headers
	// and body) within WithAttemptTimeout's bound, 60 s by default: the server was too slow,
	// not the caller's context. It also matches context.DeadlineExceeded, which alone matches
	// when the caller's own deadline ended the call.
	ErrAttemptTimeout = errors.New("accesstokens: no answer within the attempt timeout")
)

// maxServerTextInError caps how much server-provided text Error() repeats, so
// that an error string stays short whatever the body was.
const maxServerTextInError = 300

// Error is any non-2xx answer from the server.
//
// Bitbucket reports failures as {"errors":[{"context":…,"message":…,"exceptionName":…}]};
// those entries are in Messages. See
// https://docs.atlassian.com/bitbucket-server/rest/6.2.0/bitbucket-access-tokens-rest.html (Errors & Validation)
type Error struct {
	StatusCode int
	Method     string
	Path       string         // request path, no query string, no credentials
	Messages   []ErrorMessage // Bitbucket's {"errors":[...]} body, when there is one
	RetryAfter time.Duration  // from Retry-After, when present

	// text is a short excerpt of a body that was not Bitbucket's JSON (an
	// HTML proxy page, plain text), kept so that Error() still says something.
	text string
	// hint is the client's own explanation, added where the status alone is
	// misleading (a 404 from /admin means the endpoint does not exist).
	hint string
	// outcomeUnknown marks the answer of a write the server may have acted
	// on (a 502 or 504): errors.Is(err, ErrOutcomeUnknown).
	outcomeUnknown bool
}

// ErrorMessage is one entry of Bitbucket's error body.
type ErrorMessage struct {
	Context       string `json:"context"`       // the offending field for validation errors, else empty
	Message       string `json:"message"`       // human-readable text
	ExceptionName string `json:"exceptionName"` // Bitbucket's Java exception class
}

// Error describes the failure in one short line: method, path, status and
// the server's message (truncated to a few hundred bytes). Parts that are
// not set are left out, so a hand-built &Error{StatusCode: 404} reads
// "accesstokens: 404 Not Found".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("accesstokens: ")
	if where := strings.TrimSpace(e.Method + " " + e.Path); where != "" {
		b.WriteString(where)
		b.WriteString(": ")
	}
	if e.StatusCode == 0 {
		b.WriteString("error without a status")
	} else {
		b.WriteString(strconv.Itoa(e.StatusCode))
		if st := http.StatusText(e.StatusCode); st != "" {
			b.WriteByte(' ')
			b.WriteString(st)
		}
	}
	if e.hint != "" {
		b.WriteString(": ")
		b.WriteString(e.hint)
	}
	if server := e.serverText(); server != "" {
		b.WriteString(": ")
		b.WriteString(server)
	}
	if e.outcomeUnknown {
		b.WriteString(" (" + outcomeUnknownText + ")")
	}
	if e.RetryAfter > 0 {
		// Whole seconds, rounded up: "retry after" never says less than it means.
		b.WriteString(" (retry after ")
		b.WriteString(((e.RetryAfter + time.Second - 1) / time.Second * time.Second).String())
		b.WriteByte(')')
	}
	return b.String()
}

// serverText joins the server's messages (or its non-JSON text), truncated.
func (e *Error) serverText() string {
	var parts []string
	for _, m := range e.Messages {
		msg, ctx := strings.TrimSpace(m.Message), strings.TrimSpace(m.Context)
		switch {
		case ctx != "" && msg != "":
			msg = ctx + ": " + msg
		case ctx != "":
			msg = ctx
		}
		if msg != "" {
			parts = append(parts, msg)
		}
	}
	text := strings.Join(parts, "; ")
	if text == "" {
		text = e.text
	}
	return truncate(strings.TrimSpace(textsafe.Blank(text)), maxServerTextInError)
}

// Is reports whether target is the sentinel of e's status class, so that
// errors.Is(err, ErrNotFound) works on every error a service returns. A 401
// also matches ErrAuthentication or ErrNotPermitted when the answer says
// which (a 403, ErrNotPermitted), and a write whose answer was lost matches
// ErrOutcomeUnknown.
func (e *Error) Is(target error) bool {
	switch {
	case target == nil:
		return false
	case target == sentinelFor(e.StatusCode):
		return true
	case target == ErrOutcomeUnknown:
		return e.outcomeUnknown
	case target == ErrAuthentication:
		return e.StatusCode == http.StatusUnauthorized && e.says(authenticationFailed)
	case target == ErrNotPermitted:
		return (e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden) && e.says(notPermitted)
	}
	return false
}

// fromBitbucket reports whether the answer is in Bitbucket's own error
// format ({"errors":[…]}), which a proxy or a load balancer does not send.
func (e *Error) fromBitbucket() bool { return e != nil && len(e.Messages) > 0 }

// says reports whether any of the server's messages (or its non-JSON text)
// matches.
func (e *Error) says(match func(exception, text string) bool) bool {
	for _, m := range e.Messages {
		if match(m.ExceptionName, m.Message) {
			return true
		}
	}
	return e.text != "" && match("", e.text)
}

// authenticationFailed recognises Bitbucket's answer to wrong or missing
// credentials: an …AuthenticationException ("Authentication failed. Please
// check your credentials and try again.").
func authenticationFailed(exception, text string) bool {
	return strings.HasSuffix(exception, "AuthenticationException") ||
		containsFold(text, "authentication failed") || containsFold(text, "not authenticated")
}

// notPermitted recognises Bitbucket's answer to a user who may not do what
// was asked: com.atlassian.bitbucket.AuthorisationException ("You are not
// permitted to access this resource").
func notPermitted(exception, text string) bool {
	return strings.HasSuffix(exception, "AuthorisationException") || strings.HasSuffix(exception, "AuthorizationException") ||
		containsFold(text, "not permitted")
}

func containsFold(s, substr string) bool {
	return strings.Contains(strings.ToLower(s), substr)
}

func sentinelFor(status int) error {
	switch {
	case status == http.StatusBadRequest:
		return ErrBadRequest
	case status == http.StatusUnauthorized:
		return ErrUnauthorized
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusConflict:
		return ErrConflict
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status >= 500 && status <= 599:
		return ErrServer
	}
	return nil
}

// outcomeUnknownText is what an error matching ErrOutcomeUnknown says.
const outcomeUnknownText = "outcome unknown: the server may have acted on it"

// outcomeUnknownError marks a failure without an answer (a reset, a timeout)
// of a write that was sent: errors.Is(err, ErrOutcomeUnknown).
type outcomeUnknownError struct{ err error }

func (e *outcomeUnknownError) Error() string {
	return e.err.Error() + " (" + outcomeUnknownText + ")"
}

func (e *outcomeUnknownError) Unwrap() error { return e.err }

func (e *outcomeUnknownError) Is(target error) bool { return target == ErrOutcomeUnknown }

// InvalidArgumentError is returned, before any request is sent, for input the
// client can tell is wrong. It matches ErrInvalidArgument through errors.Is.
type InvalidArgumentError struct {
	Field  string // the argument or request field, e.g. "projectKey" or "Permissions"
	Reason string // what is wrong with it
}

// Error names the field and the reason.
func (e *InvalidArgumentError) Error() string {
	return "accesstokens: invalid argument " + e.Field + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrInvalidArgument) true.
func (e *InvalidArgumentError) Unwrap() error { return ErrInvalidArgument }

func invalidArg(field, format string, args ...any) error {
	return &InvalidArgumentError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
