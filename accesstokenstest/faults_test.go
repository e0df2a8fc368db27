// Tests of faults.go: injected statuses, bodies, delays and dropped connections.

package accesstokenstest_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestStatusFaultWithRetryAfterAndDefaultEnvelope(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.InjectFault(accesstokenstest.Fault{Method: "PUT", Path: "/users/alice", Status: 429, RetryAfter: "7"})

	res := call(t, srv, http.MethodPut, "/users/alice", asAlice, readBody)
	require.Equal(t, http.StatusTooManyRequests, res.status)
	assert.Equal(t, "7", res.header.Get("Retry-After"))
	assert.Equal(t, "application/json;charset=UTF-8", res.header.Get("Content-Type"))
	e := res.firstError(t)
	assert.Equal(t, accesstokenstest.ExceptionInjectedFault, e["exceptionName"])
	assert.Empty(t, srv.Tokens(), "a status fault does not touch state")

	create(t, srv, "/users/alice", asAlice, readBody) // Times defaulted to 1
	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.True(t, reqs[0].Faulted)
	assert.Equal(t, 429, reqs[0].Status)
	assert.Equal(t, accesstokenstest.CredentialBasicPassword, reqs[0].Credential)
	assert.False(t, reqs[1].Faulted)
}

func TestStatusFaultWithCustomBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, contentType, wantType string
	}{
		{"sniffed HTML", "<html><body>Bad gateway</body></html>", "", "text/html; charset=utf-8"},
		{"given type", "oops", "text/plain", "text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			srv.InjectFault(accesstokenstest.Fault{Status: 502, Body: tt.body, ContentType: tt.contentType})
			res := call(t, srv, http.MethodGet, "/users/alice", asAlice, "")
			assert.Equal(t, 502, res.status)
			assert.Equal(t, tt.body, string(res.body))
			assert.Equal(t, tt.wantType, res.header.Get("Content-Type"))
		})
	}
}

func TestFaultMatching(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		fault        accesstokenstest.Fault
		method, path string
		root         string
		wantFault    bool
	}{
		{"any", accesstokenstest.Fault{}, "GET", "/users/alice", accesstokenstest.APIPath, true},
		{"method", accesstokenstest.Fault{Method: "PUT"}, "GET", "/users/alice", accesstokenstest.APIPath, false},
		{"method any case", accesstokenstest.Fault{Method: "get"}, "GET", "/users/alice", accesstokenstest.APIPath, true},
		{"exact path", accesstokenstest.Fault{Path: "/projects/PRJ"}, "GET", "/projects/PRJ", accesstokenstest.APIPath, true},
		{"exact path under 1.0", accesstokenstest.Fault{Path: "/projects/PRJ"}, "GET", "/projects/PRJ", accesstokenstest.APIPath10, true},
		{"exact path is not a prefix", accesstokenstest.Fault{Path: "/projects/PRJ"}, "GET", "/projects/PRJ/repos/repo", accesstokenstest.APIPath, false},
		{"prefix", accesstokenstest.Fault{Path: "/projects/*"}, "GET", "/projects/PRJ/repos/repo", accesstokenstest.APIPath, true},
		{"prefix elsewhere", accesstokenstest.Fault{Path: "/projects/*"}, "GET", "/users/alice", accesstokenstest.APIPath, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			tt.fault.Status = http.StatusServiceUnavailable
			srv.InjectFault(tt.fault)
			res := callAt(t, srv.Client(), srv.URL+tt.root+tt.path, tt.method, asAlice, "")
			assert.Equal(t, tt.wantFault, res.status == http.StatusServiceUnavailable, "status %d", res.status)
		})
	}
}

func TestFaultTimesCountDown(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.InjectFault(accesstokenstest.Fault{Path: "/users/*", Times: 3, Status: 503})
	srv.InjectFault(accesstokenstest.Fault{Path: "/users/*", Times: 1, Status: 500})
	var got []int
	for range 6 {
		got = append(got, call(t, srv, http.MethodGet, "/users/alice", asAlice, "").status)
	}
	assert.Equal(t, []int{503, 503, 503, 500, 200, 200}, got)

	srv.InjectFault(accesstokenstest.Fault{Times: 5, Status: 500})
	srv.ClearFaults()
	assert.Equal(t, 200, call(t, srv, http.MethodGet, "/users/alice", asAlice, "").status)
}

func TestDroppedConnectionIsAClientError(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.InjectFault(accesstokenstest.Fault{Method: "PUT", Path: "/users/alice", DropConnection: true})
	_, err := send(noKeepAlive(), srv.URL+accesstokenstest.APIPath+"/users/alice", "PUT", asAlice, readBody)
	require.Error(t, err)
	assert.Empty(t, srv.Tokens(), "dropped before handling: nothing created")
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Zero(t, reqs[0].Status)
	assert.True(t, reqs[0].Faulted)
}

func TestFaultAfterHandlingChangesStateThenFails(t *testing.T) {
	t.Parallel()
	t.Run("status", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		srv.InjectFault(accesstokenstest.Fault{Method: "PUT", Status: 502, Body: "<html>proxy</html>", AfterHandling: true})
		res := call(t, srv, http.MethodPut, "/users/alice", asAlice, readBody)
		assert.Equal(t, 502, res.status)
		require.Len(t, srv.Tokens(), 1, "the create took effect")
		assert.Len(t, srv.MintedSecrets(), 1, "a secret was minted that the client never saw")
		assert.Equal(t, accesstokenstest.CredentialBasicPassword, srv.Requests()[0].Credential)
	})
	t.Run("dropped connection", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		id, _ := srv.MintToken(accesstokenstest.UserScopeString("alice"), "old", 0, "REPO_READ")
		srv.InjectFault(accesstokenstest.Fault{Method: "DELETE", DropConnection: true, AfterHandling: true})
		_, err := send(noKeepAlive(), srv.URL+accesstokenstest.APIPath+"/users/alice/"+id, "DELETE", asAlice, "")
		require.Error(t, err)
		assert.Empty(t, srv.Tokens(), "the delete took effect")
	})
}

func TestDelayAloneGivesTheNormalAnswer(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.InjectFault(accesstokenstest.Fault{Delay: 20 * time.Millisecond})
	began := time.Now()
	res := call(t, srv, http.MethodGet, "/users/alice", asAlice, "")
	assert.Equal(t, http.StatusOK, res.status)
	assert.GreaterOrEqual(t, time.Since(began), 20*time.Millisecond)
}

// TestDelayHonoursTheRequestContext serves the Fake on a plain http.Server, whose Close neither
// releases delays nor waits for handlers, so only the handler noticing that the client went away
// can end an hour's delay: the abandoned request must then be recorded (Status 0, Faulted) within
// seconds.
func TestDelayHonoursTheRequestContext(t *testing.T) {
	t.Parallel()
	recorded := make(chan accesstokenstest.Request, 4)
	f := accesstokenstest.NewFake(accesstokenstest.WithRequestLog(func(r accesstokenstest.Request) { recorded <- r }))
	f.InjectFault(accesstokenstest.Fault{Delay: time.Hour, Status: 500})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{Handler: f}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ln.Addr().String()+accesstokenstest.APIPath+"/users/alice", nil)
	require.NoError(t, err)
	asAlice(req)
	errc := make(chan error, 1)
	go func() {
		resp, err := noKeepAlive().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	// The fault is used up as the request enters its delay; then the client gives up.
	waitFor(t, func() bool { return f.PendingFaults() == 0 }, "the request never reached the fake")
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)

	select {
	case r := <-recorded:
		assert.Equal(t, accesstokenstest.Request{
			Method: "GET", RawPath: accesstokenstest.APIPath + "/users/alice",
			Credential: accesstokenstest.CredentialBasicPassword, User: "alice", Status: 0, Faulted: true,
		}, r, "recorded as abandoned: no status")
	case <-time.After(10 * time.Second):
		t.Fatal("the delayed handler did not notice that its client went away")
	}
}

func TestCloseReleasesDelayedRequests(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	srv.InjectFault(accesstokenstest.Fault{Delay: time.Hour})
	done := make(chan result, 1)
	go func() {
		res, _ := send(srv.Client(), srv.URL+accesstokenstest.APIPath+"/users/alice", "GET", asAlice, "")
		done <- res
	}()
	// The fault is used up as the request enters its delay.
	waitFor(t, func() bool { return srv.PendingFaults() == 0 }, "the request never reached the fake")
	srv.Close()
	res := <-done
	assert.Equal(t, http.StatusServiceUnavailable, res.status)
}

func TestCoreAPIFaultsMatchFromRestAPILatest(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.InjectFault(accesstokenstest.Fault{Path: accesstokenstest.CoreAPIPath + "/repos", Status: 503, Times: 2})
	for _, root := range []string{accesstokenstest.CoreAPIPath, accesstokenstest.CoreAPIPath10} {
		res := callAt(t, srv.Client(), srv.URL+root+"/repos", http.MethodGet, asAdmin, "")
		assert.Equal(t, http.StatusServiceUnavailable, res.status, root)
	}
	assert.Equal(t, http.StatusOK, core(t, srv, "/repos", asAdmin).status)
}
