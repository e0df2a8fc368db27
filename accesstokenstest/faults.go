// Injected faults: statuses, bodies, delays and dropped connections instead of the normal answer.

package accesstokenstest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault describes a failure to inject: the next Times requests that match Method and Path get it.
// Faults are matched in the order they were injected; each matching request uses up one of the
// first matching fault's Times, atomically, so concurrent requests never share a count.
//
// Without AfterHandling, a Status or DropConnection fault answers instead of the fake and changes
// no state. With AfterHandling, the fake handles the request first (a create takes effect, a
// delete deletes) and the client then gets the Status or the dropped connection: the server acted
// but the client did not hear. Delay, alone, gives the normal answer late; with Status or
// DropConnection it comes first.
//
// Go's http.Transport silently resends an idempotent request (GET, HEAD) that fails on a reused
// keep-alive connection, so a dropped GET can use up two of Times before the client sees an error;
// use a client without keep-alives, or Times: 2, when a test needs the GET to fail.
type Fault struct {
	Method string // HTTP method to match; "" matches any
	// Path to match: the escaped path relative to the access-token API's root (e.g.
	// "/projects/PRJ" or "/users/alice/000123456789"), the same under latest and 1.0; for the
	// core API, the path from /rest/api/latest on, whichever version was asked (e.g.
	// "/rest/api/latest/repos"); for other requests, the whole escaped path. "" matches any; a
	// trailing "*" matches a prefix ("/projects/*").
	Path  string
	Times int // how many matching requests get the fault; values below 1 mean 1

	Status      int    // answer with this status, if non-zero
	RetryAfter  string // Retry-After header value sent with Status, optional
	Body        string // body sent with Status; default an {"errors":[...]} envelope
	ContentType string // Content-Type of Body; default sniffed from Body (JSON for the default body)

	DropConnection bool          // read the whole request, then close the connection without answering
	Delay          time.Duration // wait this long (or until the client gives up) before anything else
	AfterHandling  bool          // apply Status or DropConnection after the fake handled the request
}

// InjectFault queues a fault; see [Fault]. It panics if Status is neither 0 nor from 200 to 599:
// a 1xx would be sent as an interim answer, followed by the fake's own.
func (f *Fake) InjectFault(fl Fault) {
	if !faultStatusAnswers(fl.Status) {
		panic(fmt.Sprintf("accesstokenstest: InjectFault: status %d is not from 200 to 599", fl.Status))
	}
	f.injectFaultWithin(fl, math.MaxInt)
}

// faultStatusAnswers says whether a fault's Status is one it can answer with: none (0), or a
// final status, 200 to 599.
func faultStatusAnswers(status int) bool { return status == 0 || (status >= 200 && status <= 599) }

// injectFaultWithin queues a fault unless limit faults are queued already.
func (f *Fake) injectFaultWithin(fl Fault, limit int) bool {
	if fl.Times < 1 {
		fl.Times = 1
	}
	f.faultMu.Lock()
	defer f.faultMu.Unlock()
	if len(f.faults) >= limit {
		return false
	}
	f.faults = append(f.faults, &fl)
	return true
}

// ClearFaults removes every queued fault.
func (f *Fake) ClearFaults() {
	f.faultMu.Lock()
	defer f.faultMu.Unlock()
	f.faults = nil
}

// takeFault returns a copy of the first fault matching the request and uses up one of its Times.
func (f *Fake) takeFault(method, path string) *Fault {
	f.faultMu.Lock()
	defer f.faultMu.Unlock()
	for i, fl := range f.faults {
		if fl.Method != "" && !strings.EqualFold(fl.Method, method) {
			continue
		}
		if !pathMatches(fl.Path, path) {
			continue
		}
		taken := *fl
		fl.Times--
		if fl.Times == 0 {
			f.faults = append(f.faults[:i:i], f.faults[i+1:]...)
		}
		return &taken
	}
	return nil
}

func pathMatches(pattern, path string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return pattern == "" || pattern == path
}

// wait sleeps for d; false if the client went away or the server is closing first.
func (f *Fake) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-f.closing:
		return false
	}
}

// writeFault answers with a fault's status, headers and body.
func (f *Fake) writeFault(w http.ResponseWriter, r *http.Request, fl *Fault) {
	body, ct := []byte(fl.Body), fl.ContentType
	if fl.Body == "" {
		body, _ = json.Marshal((&apiError{status: fl.Status, message: http.StatusText(fl.Status),
			exception: ExceptionInjectedFault}).body(f.wireContext("")))
		if ct == "" {
			ct = jsonContentType
		}
	}
	if ct == "" {
		ct = http.DetectContentType(body)
	}
	if fl.RetryAfter != "" {
		w.Header().Set("Retry-After", fl.RetryAfter)
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	f.dateTheAnswer(w)
	w.WriteHeader(fl.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// dropConnection closes the client's connection without a response.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// HTTP/2 and recorders cannot be hijacked; this aborts the stream or connection instead.
	panic(http.ErrAbortHandler)
}

// PendingFaults returns how many more requests the queued faults will hit (the sum of their
// remaining Times, at most math.MaxInt): 0 once every injected fault has been used up.
func (f *Fake) PendingFaults() int {
	f.faultMu.Lock()
	defer f.faultMu.Unlock()
	n := 0
	for _, fl := range f.faults {
		if fl.Times > math.MaxInt-n {
			return math.MaxInt
		}
		n += fl.Times
	}
	return n
}
