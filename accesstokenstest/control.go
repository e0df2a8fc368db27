// The control API (WithControlAPI): the Go test hooks over HTTP, for tests in any language.

package accesstokenstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ControlPath is the root of the control API that [WithControlAPI] turns on, relative to the
// server's base URL (so after the context path). No Bitbucket path starts with it.
const ControlPath = "/_fake"

// Bounds of what the control API reads and keeps, so that nothing that reaches it can make the
// fake grow without end.
const (
	MaxControlBody  = 64 << 10 // bytes of a control request's body; a larger one is 413
	MaxQueuedFaults = 256      // faults queued at once (however injected) for POST /_fake/faults to add one; beyond, 409
)

// WithControlAPI serves a control API under [ControlPath], so tests in any language can do over
// HTTP what a Go test does with a Fake's methods. It needs no credentials, so serve it on
// loopback only. Every write (POST, DELETE) must say Content-Type: application/json (415
// otherwise), which a web page cannot make a browser send to another origin without asking
// first, and the fake never agrees: a page the developer visits cannot drive it. Bodies are at
// most [MaxControlBody] bytes; POST /_fake/faults refuses a fault while [MaxQueuedFaults] are
// queued, and a status outside 200-599. Its requests are neither recorded, nor rate limited, nor
// hit by faults. All bodies are JSON; errors use Bitbucket's envelope.
//
//	GET    /_fake/clock      {"now":"2026-01-01T00:00:00Z","pinned":false}
//	POST   /_fake/clock      {"advance":"90m"} (a Go duration, >= 0) or {"set":"2030-01-01T00:00:00Z"} (not back); answers like GET
//	GET    /_fake/faults     {"pending":N}, as Fake.PendingFaults
//	POST   /_fake/faults     a Fault: {"method","path","times","status","retryAfter","body","contentType",
//	                         "dropConnection","delay":"250ms","afterHandling"}; answers {"pending":N}
//	DELETE /_fake/faults     Fake.ClearFaults (204)
//	GET    /_fake/requests   the recorded requests, as Fake.Requests: [{"method","rawPath","query","credential","user","status","faulted"}]
//	DELETE /_fake/requests   Fake.ResetRequests (204)
//	GET    /_fake/tokens     every token, as Fake.Tokens (never a secret)
//	POST   /_fake/tokens     {"scope":"user:alice","name":"ci","expiryDays":0,"permissions":["REPO_READ"]}, as
//	                         Fake.MintToken; answers {"id","token"} (the only place a secret is shown)
//	POST   /_fake/reset      Fake.Reset: back to the seeded world (204)
func WithControlAPI() Option { return func(c *config) { c.control = true } }

// controlPath says whether an escaped path is in the control API, and returns the rest of it.
func (f *Fake) controlPath(rawPath string) (string, bool) {
	p, ok := strings.CutPrefix(rawPath, f.cfg.contextPath+ControlPath)
	if !ok || (p != "" && p[0] != '/') {
		return "", false
	}
	return p, true
}

type wireClock struct {
	Now    time.Time `json:"now"`
	Pinned bool      `json:"pinned"`
}

type wireFault struct {
	Method         string `json:"method"`
	Path           string `json:"path"`
	Times          int    `json:"times"`
	Status         int    `json:"status"`
	RetryAfter     string `json:"retryAfter"`
	Body           string `json:"body"`
	ContentType    string `json:"contentType"`
	DropConnection bool   `json:"dropConnection"`
	Delay          string `json:"delay"`
	AfterHandling  bool   `json:"afterHandling"`
}

type wireIssue struct {
	Scope       string   `json:"scope"`
	Name        string   `json:"name"`
	ExpiryDays  int      `json:"expiryDays"`
	Permissions []string `json:"permissions"`
}

// serveControl answers a request of the control API.
func (f *Fake) serveControl(w http.ResponseWriter, r *http.Request, rest string) {
	f.writeResponse(w, r, f.control(r, rest))
}

func (f *Fake) control(r *http.Request, rest string) response {
	methods := map[string]string{
		"/clock": "GET, POST", "/faults": "GET, POST, DELETE", "/requests": "GET, DELETE",
		"/tokens": "GET, POST", "/reset": "POST",
	}
	allow, ok := methods[rest]
	if !ok {
		return errorResponse(&apiError{status: http.StatusNotFound, message: "No control resource at " + r.URL.EscapedPath()})
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	if !slices.Contains(strings.Split(allow, ", "), method) {
		return errorResponse(&apiError{status: http.StatusMethodNotAllowed,
			message: fmt.Sprintf("Method %s is not allowed here; use %s.", r.Method, allow),
			header:  http.Header{"Allow": {allow}}})
	}
	if method == http.MethodPost || method == http.MethodDelete {
		if e := checkControlContentType(r.Header.Get("Content-Type")); e != nil {
			return errorResponse(e)
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxControlBody+1))
	if err != nil {
		return errorResponse(&apiError{status: http.StatusBadRequest, message: "The request body could not be read."})
	}
	if len(body) > MaxControlBody {
		return errorResponse(&apiError{status: http.StatusRequestEntityTooLarge,
			message: fmt.Sprintf("A control request's body is at most %d bytes.", MaxControlBody)})
	}
	ok200 := func(v any) response { return response{status: http.StatusOK, body: v} }
	noContent := response{status: http.StatusNoContent}
	switch rest + " " + method {
	case "/clock GET":
		return ok200(f.clockState())
	case "/clock POST":
		if e := f.setClock(body); e != nil {
			return errorResponse(e)
		}
		return ok200(f.clockState())
	case "/faults GET":
		return ok200(map[string]int{"pending": f.PendingFaults()})
	case "/faults POST":
		fl, e := decodeFault(body)
		if e != nil {
			return errorResponse(e)
		}
		if !f.injectFaultWithin(fl, MaxQueuedFaults) {
			return errorResponse(&apiError{status: http.StatusConflict, message: fmt.Sprintf(
				"%d faults are queued, the most the control API keeps; DELETE /_fake/faults to clear them.", MaxQueuedFaults)})
		}
		return ok200(map[string]int{"pending": f.PendingFaults()})
	case "/faults DELETE":
		f.ClearFaults()
		return noContent
	case "/requests GET":
		return ok200(f.Requests())
	case "/requests DELETE":
		f.ResetRequests()
		return noContent
	case "/tokens GET":
		return ok200(f.Tokens())
	case "/tokens POST":
		return f.issueFromControl(body)
	default: // "/reset POST"
		f.Reset()
		return noContent
	}
}

func (f *Fake) clockState() wireClock {
	f.mu.Lock()
	defer f.mu.Unlock()
	return wireClock{Now: f.clock.now(), Pinned: f.clock.pinned}
}

func (f *Fake) setClock(body []byte) *apiError {
	var req struct {
		Advance *string `json:"advance"`
		Set     *string `json:"set"`
	}
	if err := decodeStrict(body, &req); err != nil || (req.Advance == nil) == (req.Set == nil) {
		return badRequest("", `Send {"advance":"<Go duration>"} or {"set":"<RFC 3339 time>"}.`)
	}
	if req.Advance != nil {
		d, err := time.ParseDuration(*req.Advance)
		if err != nil || d < 0 {
			return badRequest("advance", fmt.Sprintf("%q is not a duration of 0 or more, such as 90m or 720h.", *req.Advance))
		}
		if err := f.advance(d); err != nil {
			return badRequest("advance", err.Error())
		}
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, *req.Set)
	if err != nil {
		return badRequest("set", fmt.Sprintf("%q is not an RFC 3339 time, such as 2030-01-01T00:00:00Z.", *req.Set))
	}
	if err := f.SetNow(t); err != nil {
		return badRequest("set", err.Error())
	}
	return nil
}

func decodeFault(body []byte) (Fault, *apiError) {
	var wf wireFault
	if err := decodeStrict(body, &wf); err != nil {
		return Fault{}, badRequest("", "The body is not a fault: "+err.Error()+".")
	}
	fl := Fault{Method: wf.Method, Path: wf.Path, Times: wf.Times, Status: wf.Status, RetryAfter: wf.RetryAfter,
		Body: wf.Body, ContentType: wf.ContentType, DropConnection: wf.DropConnection, AfterHandling: wf.AfterHandling}
	if wf.Delay != "" {
		d, err := time.ParseDuration(wf.Delay)
		if err != nil || d < 0 {
			return Fault{}, badRequest("delay", fmt.Sprintf("%q is not a duration of 0 or more, such as 250ms.", wf.Delay))
		}
		fl.Delay = d
	}
	if !faultStatusAnswers(fl.Status) {
		return Fault{}, badRequest("status", fmt.Sprintf("%d is not a status a fault can answer with: use 200 to 599.", fl.Status))
	}
	return fl, nil
}

func (f *Fake) issueFromControl(body []byte) response {
	var req wireIssue
	if err := decodeStrict(body, &req); err != nil {
		return errorResponse(badRequest("", "The body is not a token to issue: "+err.Error()+"."))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if e := checkExpiryDays(req.ExpiryDays, f.clock.now()); e != nil {
		return errorResponse(e)
	}
	sc, ok := f.parseScopeLocked(req.Scope)
	if !ok {
		return errorResponse(badRequest("scope", fmt.Sprintf("No scope %q: use user:SLUG, project:KEY or repo:KEY/SLUG.", req.Scope)))
	}
	t := f.issueLocked(sc, req.Name, req.ExpiryDays, req.Permissions)
	return response{status: http.StatusOK, body: map[string]string{"id": t.id, "token": t.secret}}
}

// decodeStrict decodes one JSON object, refusing unknown fields (a typo must not pass silently).
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("more than one JSON value")
	}
	return nil
}

// checkControlContentType refuses a write that does not say it sends JSON: the one thing a page
// in a browser cannot make it say to another origin without a preflight.
func checkControlContentType(contentType string) *apiError {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return &apiError{status: http.StatusUnsupportedMediaType, message: fmt.Sprintf(
			"Control API writes must say Content-Type: application/json, not %q.", contentType)}
	}
	return nil
}
