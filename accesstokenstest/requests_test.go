// Tests of requests.go: what is recorded, and how much is kept.

package accesstokenstest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestRecordedRequestsNeverHoldCredentials(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var logged []accesstokenstest.Request
	srv := newServer(t, accesstokenstest.WithRequestLog(func(r accesstokenstest.Request) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, r)
	}))
	srv.AddUser("carol", "s3cret-Passw0rd", false)
	carol := basic("carol", "s3cret-Passw0rd")
	id, secret := create(t, srv, "/users/carol", carol, readBody)
	call(t, srv, http.MethodGet, "/users/carol?limit=5", bearer(secret), "")
	call(t, srv, http.MethodGet, "/users/carol/"+id, basic("carol", secret), "")
	call(t, srv, http.MethodGet, "/users/carol", basic("carol", "wrong-Passw0rd"), "")
	call(t, srv, http.MethodGet, "/users/carol", nil, "")

	reqs := srv.Requests()
	require.Len(t, reqs, 5)
	assert.Equal(t, []accesstokenstest.CredentialKind{
		accesstokenstest.CredentialBasicPassword, accesstokenstest.CredentialBearer,
		accesstokenstest.CredentialBasicToken, accesstokenstest.CredentialInvalid, accesstokenstest.CredentialNone,
	}, []accesstokenstest.CredentialKind{reqs[0].Credential, reqs[1].Credential, reqs[2].Credential, reqs[3].Credential, reqs[4].Credential})
	assert.Equal(t, accesstokenstest.Request{
		Method: "GET", RawPath: accesstokenstest.APIPath + "/users/carol", Query: "limit=5",
		Credential: accesstokenstest.CredentialBearer, User: "carol", Status: 200,
	}, reqs[1])

	mu.Lock()
	assert.Equal(t, reqs, logged, "the request log sees the same records")
	mu.Unlock()

	secrets := append(srv.MintedSecrets(), "s3cret-Passw0rd", "wrong-Passw0rd")
	require.Contains(t, secrets, secret)
	dump := fmt.Sprintf("%+v %#v", reqs, reqs)
	for _, s := range secrets {
		assert.NotContains(t, dump, s)
	}

	srv.ResetRequests()
	assert.Empty(t, srv.Requests())
}

func TestWithRequestHistoryKeepsOnlyTheMostRecentRequests(t *testing.T) {
	t.Parallel()
	f := accesstokenstest.NewFake(accesstokenstest.WithRequestHistory(3))
	for i := 0; i < 10; i++ {
		req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/rest/access-tokens/latest/users/nobody%d", i), nil)
		f.ServeHTTP(httptest.NewRecorder(), req)
	}
	reqs := f.Requests()
	require.Len(t, reqs, 3)
	for i, r := range reqs {
		assert.Equal(t, fmt.Sprintf("/rest/access-tokens/latest/users/nobody%d", 7+i), r.RawPath)
	}
}
