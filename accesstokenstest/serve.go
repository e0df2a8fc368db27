// ServeHTTP: reading a request, applying an injected fault, answering, recording.

package accesstokenstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

const (
	jsonContentType = "application/json;charset=UTF-8"
	maxBodyBytes    = 1 << 20
)

// response is an answer built under the lock and written after it.
type response struct {
	status int
	body   any // nil for no body
	header http.Header
}

func errorResponse(e *apiError) response {
	return response{status: e.status, body: e, header: e.header}
}

// incoming is what ServeHTTP read of a request before handling it.
type incoming struct {
	r        *http.Request
	body     []byte
	tooLarge bool
	bodyErr  error
}

// ServeHTTP answers one request, after any injected fault, and records it. The record is made
// before the answer is written, so a client that has its answer also finds it in Requests.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rawPath := r.URL.EscapedPath()
	if f.cfg.control {
		if rest, ok := f.controlPath(rawPath); ok {
			f.serveControl(w, r, rest)
			return
		}
	}
	rec := Request{Method: r.Method, RawPath: rawPath, Query: r.URL.RawQuery, Credential: CredentialNone}
	answer := func(resp response, a authResult) {
		rec.Credential, rec.User, rec.Status = a.kind, a.userName(), resp.status
		f.record(rec)
		nameTheUser(w, a)
		f.writeResponse(w, r, resp)
	}
	if len(rawPath)+len(r.URL.RawQuery) > MaxRequestTarget {
		answer(errorResponse(&apiError{status: http.StatusRequestURITooLong,
			message: fmt.Sprintf("The request URL is longer than %d bytes.", MaxRequestTarget)}), authResult{kind: CredentialNone})
		return
	}

	in := incoming{r: r}
	in.body, in.bodyErr = io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	in.tooLarge = len(in.body) > maxBodyBytes
	if in.bodyErr == nil && !in.tooLarge {
		// The server's ReadTimeout guarded the body, which is read; clearing the deadline makes
		// sure that an injected Delay is never cut short by it (outside a server there is
		// nothing to clear). A body left unread keeps the deadline, so that net/http's
		// discarding of its rest cannot hang.
		_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	}

	fl := f.takeFault(r.Method, f.faultPath(rawPath))
	if fl == nil {
		answer(f.process(in))
		return
	}
	a := f.authenticate(r.Header.Get("Authorization"))
	rec.Credential, rec.User = a.kind, a.userName()

	rec.Faulted = true
	if fl.Delay > 0 && !f.wait(r, fl.Delay) {
		select {
		case <-f.closing:
			e := &apiError{status: http.StatusServiceUnavailable, message: "The fake server is shutting down.",
				exception: ExceptionInjectedFault}
			rec.Status = e.status
			f.record(rec)
			f.writeResponse(w, r, errorResponse(e))
		default: // the client went away
			f.record(rec)
		}
		return
	}
	failing := fl.Status != 0 || fl.DropConnection
	if !failing {
		answer(f.process(in))
		return
	}
	if fl.AfterHandling {
		_, a := f.process(in)
		rec.Credential, rec.User = a.kind, a.userName()
	}
	if fl.DropConnection {
		f.record(rec) // Status 0
		dropConnection(w)
		return
	}
	rec.Status = fl.Status
	f.record(rec)
	f.writeFault(w, r, fl)
}

// nameTheUser says who authenticated, as Bitbucket does on every answer to an authenticated
// request: X-AUSERNAME (a user's name, or a bot's such as "access-token-user/2/14") and X-AUSERID.
// They are set as written, not in Go's canonical case.
func nameTheUser(w http.ResponseWriter, a authResult) {
	if a.user == nil {
		return
	}
	w.Header()["X-AUSERNAME"] = []string{a.user.name}
	w.Header()["X-AUSERID"] = []string{strconv.Itoa(a.user.id)}
}

// dateTheAnswer sets the Date header from the fake clock, so that a client that judges expiry by
// the server's time sees the fake's.
func (f *Fake) dateTheAnswer(w http.ResponseWriter) {
	w.Header().Set("Date", f.Now().UTC().Format(http.TimeFormat))
}

// writeResponse writes an answer: its headers, dated by the fake clock, and its JSON body.
func (f *Fake) writeResponse(w http.ResponseWriter, r *http.Request, resp response) {
	var b []byte
	if e, ok := resp.body.(*apiError); ok {
		// Errors are written here, where the version decides how their nulls look.
		resp.body = e.body(f.wireContext(""))
	}
	if resp.body != nil {
		buf := encodeBuffers.Get().(*bytes.Buffer)
		defer encodeBuffers.Put(buf)
		buf.Reset()
		if err := json.NewEncoder(buf).Encode(resp.body); err != nil {
			// Only our own wire types get here; a date JSON cannot show (before year 0 or after
			// 9999, in the control API's RFC 3339) is the one way they fail.
			f.writeResponse(w, r, errorResponse(&apiError{status: http.StatusInternalServerError,
				message: "The fake could not encode its answer: " + err.Error() + "."}))
			return
		}
		b = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	f.dateTheAnswer(w)
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(resp.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// encodeBuffers keeps the buffers answers are encoded into, so a list page allocates less.
var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// MaxRequestTarget is the longest path plus query (escaped, in bytes, context path included) the
// fake reads; a longer one is answered 414 with the error envelope and recorded shortened.
const MaxRequestTarget = 16 << 10
