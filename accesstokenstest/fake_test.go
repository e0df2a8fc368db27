// Tests of fake.go: the Fake as a plain http.Handler.

package accesstokenstest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestFakeIsAPlainHandler(t *testing.T) {
	t.Parallel()
	f := accesstokenstest.NewFake()
	mux := http.NewServeMux()
	mux.Handle("/rest/", f)
	req := httptest.NewRequest(http.MethodPut, "http://git.example.com"+accesstokenstest.APIPath10+"/users/alice", strings.NewReader(readBody))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("alice", "alice")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"href":"http://git.example.com/users/alice"`)
	assert.Len(t, f.Tokens(), 1)
}
