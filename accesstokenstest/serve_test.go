// Tests of serve.go: how answers are written.

package accesstokenstest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestHeadAnswersLikeGetWithoutABody(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, path := range []string{accesstokenstest.APIPath + "/users/alice", accesstokenstest.CoreAPIPath + "/projects"} {
		get := callAt(t, srv.Client(), srv.URL+path, http.MethodGet, asAlice, "")
		head := callAt(t, srv.Client(), srv.URL+path, http.MethodHead, asAlice, "")
		assert.Equal(t, http.StatusOK, head.status, path)
		assert.Empty(t, head.body, path)
		assert.Equal(t, get.header.Get("Content-Type"), head.header.Get("Content-Type"), path)
		assert.Equal(t, get.header.Get("Content-Length"), head.header.Get("Content-Length"), path)
	}
	// HEAD is a GET for rights and errors too.
	head := callAt(t, srv.Client(), srv.URL+accesstokenstest.APIPath+"/projects/PRJ", http.MethodHead, asBob, "")
	assert.Equal(t, http.StatusUnauthorized, head.status)
	assert.Empty(t, head.body)
}
